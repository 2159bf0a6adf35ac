import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../devkit/temporal-binaries';
import { testEnvironment } from '../support/environment';
import { type Exit, runToExit } from '../support/run-to-exit';

const MOCHA = path.join(projectRoot, 'node_modules', 'mocha', 'bin', 'mocha.js');

/**
 * `npm test` whose global set-up fails for real: the run must end at once with one line saying why,
 * stopping the Temporal dev server and PostgreSQL it had started (every process the inner run
 * starts names its scratch folder on its command line, which is how survivors are found).
 */
describe('npm test when the test environment cannot start', function () {
  this.timeout(60_000);

  it('runs with a private TMPDIR, except as root: then it ends at once naming the folder PostgreSQL may not enter', async () => {
    const work = workFolder();
    const closed = path.join(work, 'private');
    mkdirSync(closed);
    chmodSync(closed, 0o700);
    const exit = await mochaRun(work, { TMPDIR: closed });
    assert.deepEqual(leftBehind(work), []);
    // As root PostgreSQL runs as "postgres", which the folder keeps out; otherwise as ourselves.
    if (process.getuid?.() === 0) assert.ok(oneLineFailure(exit).includes(`which may not enter ${closed} `), exit.output);
    else assert.equal(exit.code, 0, exit.output);
  });

  it('stops PostgreSQL half-way through starting when the Temporal dev server fails', async () => {
    const work = workFolder();
    const tmp = path.join(work, 'tmp');
    mkdirSync(tmp);
    chmodSync(tmp, 0o755);
    // A real process that fails a moment after it started, while PostgreSQL is being set up.
    const temporal = path.join(work, 'temporal');
    writeFileSync(temporal, '#!/bin/sh\necho "not a Temporal CLI" >&2\nsleep 1\nexit 3\n', { mode: 0o755 });
    const exit = await mochaRun(work, { TMPDIR: tmp, TEMPORAL_CLI_PATH: temporal });
    assert.deepEqual(leftBehind(work), []);
    const [, log] = /^Temporal dev server exited during start-up \(exit 3\); see (\S+temporal\.log) \(\S+ is kept\)$/.exec(oneLineFailure(exit)) ?? [];
    assert.ok(log && existsSync(log), `the log it names is kept for reading: ${exit.output}`);
  });
});

function workFolder(): string {
  const work = mkdtempSync(path.join(testEnvironment().root, 'set-up-failure-'));
  chmodSync(work, 0o755);
  writeFileSync(path.join(work, 'passes.test.ts'), "describe('inner run', () => it('passes', () => undefined));\n");
  return work;
}

/** `mocha` as `npm test` runs it (with .mocharc.json and so the global set-up), on one passing spec. */
function mochaRun(work: string, env: Record<string, string>): Promise<Exit> {
  return runToExit(process.execPath, [MOCHA, path.join(work, 'passes.test.ts')], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    timeoutMs: 30_000,
  });
}

/** The reason of a run that failed within the bound, printed as one line without a stack. */
function oneLineFailure(exit: Exit): string {
  assert.ok(exit.ms < 30_000, `took ${exit.ms} ms`);
  assert.notEqual(exit.code, 0, exit.output);
  assert.equal(exit.signal, null, exit.output);
  const lines = exit.output.trim().split('\n');
  assert.equal(lines.length, 2, exit.output);
  assert.equal(lines[0], '[mocha] global setup failed:');
  const prefix = 'test environment could not start: ';
  assert.ok(lines[1]!.startsWith(prefix), exit.output);
  return lines[1]!.slice(prefix.length);
}

/** Processes whose command line names `folder`; they are ended, so that a failing test leaves none. */
function leftBehind(folder: string): string[] {
  const found = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(folder));
  for (const pid of found.map((line) => Number.parseInt(line, 10))) {
    for (const target of [-pid, pid]) {
      try {
        // Its group first: the helpers lead one each (PostgreSQL's backends are in it).
        process.kill(target, 'SIGKILL');
        break;
      } catch {
        // not a group leader, or gone meanwhile
      }
    }
  }
  return found;
}
