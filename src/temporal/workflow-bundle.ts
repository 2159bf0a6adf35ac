import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config';
import { FAILURE_CONVERTER_PATH } from './payload-codec';

/** Every workflow the worker registers is an export of workflows/index.ts. */
const workflowsPath = require.resolve('../../workflows');

/**
 * Bundles the workflow code as `Worker.create` would at start-up and writes it to `file`. Done at
 * image build time, it takes webpack off the worker's start and makes the image run exactly the
 * code it was built with. Only the @temporalio/worker version that wrote a bundle may load it, so
 * the bundle is built from the same lock file as the worker.
 */
export async function writeWorkflowBundle(file: string): Promise<{ file: string; bytes: number }> {
  // WARN: webpack's statistics would otherwise fill the build log on every image build.
  // With the service's failure converter, as a worker bundling at start would use with codec keys.
  const { code } = await bundleWorkflowCode({ workflowsPath, failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') });
  mkdirSync(path.dirname(file), { recursive: true });
  // Renamed into place: an interrupted build never leaves a truncated bundle for a worker to load.
  writeFileSync(`${file}.partial`, code);
  renameSync(`${file}.partial`, file);
  return { file, bytes: Buffer.byteLength(code) };
}

/**
 * The workflow code option of `Worker.create`: the prebuilt bundle when WORKFLOW_BUNDLE names one,
 * otherwise the sources, bundled as the worker starts (`npm start`, tests).
 */
export function workflowCode(bundle: string | undefined): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  if (bundle === undefined) return { workflowsPath };
  if (!existsSync(bundle)) throw new ConfigError([`WORKFLOW_BUNDLE: no file at ${bundle} (npm run bundle:workflows writes one)`]);
  return { workflowBundle: { codePath: bundle } };
}
