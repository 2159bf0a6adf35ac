import { Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config';
import { workflowCode } from '../../../src/temporal/workflow-bundle';
import { projectRoot } from '../../../devkit/temporal-binaries';
import { runToExit } from '../../support/run-to-exit';

/** The bundle the Docker image builds with `cli/bundle-workflows.ts` and its worker loads through WORKFLOW_BUNDLE. */
describe('prebuilt workflow bundle', () => {
  let dir: string;
  let bundle: string;

  before(async function () {
    this.timeout(120_000);
    dir = mkdtempSync(path.join(os.tmpdir(), 'workflow-bundle-'));
    bundle = path.join(dir, 'nested', 'workflow-bundle.js');
    const exit = await runToExit(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'cli', 'bundle-workflows.ts'), bundle], {
      cwd: projectRoot,
      env: process.env,
      timeoutMs: 100_000,
    });
    assert.equal(exit.code, 0, exit.output);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is written by the bundling script and holds the screening workflow', () => {
    assert.match(readFileSync(bundle, 'utf8'), /\bscreeningWorkflow\b/);
  });

  it('replays a recorded screening history in a worker that loads it', async () => {
    const history = JSON.parse(readFileSync(path.join(projectRoot, 'test', 'fixtures', 'histories', 'happy-path.json'), 'utf8')) as unknown;
    await Worker.runReplayHistory(workflowCode(bundle), history, 'happy-path');
  });

  it('is what the worker gets when WORKFLOW_BUNDLE is set, and the sources otherwise', () => {
    const configured = loadConfig({ WORKFLOW_BUNDLE: path.relative(process.cwd(), bundle) }).temporal.workflowBundle;
    assert.deepEqual(workflowCode(configured), { workflowBundle: { codePath: bundle } });
    assert.ok('workflowsPath' in workflowCode(loadConfig({}).temporal.workflowBundle));
  });

  it('refuses a WORKFLOW_BUNDLE that names no file, naming the variable', () => {
    assert.throws(
      () => workflowCode(path.join(dir, 'missing.js')),
      (error: unknown) => error instanceof ConfigError && /WORKFLOW_BUNDLE/.test(error.message),
    );
  });
});
