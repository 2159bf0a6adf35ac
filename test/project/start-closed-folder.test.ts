import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../devkit/embedded/free-port';
import { projectRoot } from '../../devkit/temporal-binaries';
import { testEnvironment } from '../support/environment';
import { type Exit, runToExit } from '../support/run-to-exit';

/** `npm start` from a checkout below /root (or a `mktemp -d` folder) as root, where PostgreSQL could not start. */
describe('npm start with DATA_DIR in a folder PostgreSQL may not enter', function () {
  this.timeout(60_000);

  it('stops at once with one line naming the folder and what to do, having started and written nothing', async () => {
    const work = mkdtempSync(path.join(testEnvironment().root, 'start-closed-'));
    chmodSync(work, 0o755);
    // As root PostgreSQL runs as "postgres", which a private folder keeps out; otherwise only a
    // folder closed to its owner as well stops it.
    const closed = path.join(work, 'checkout');
    mkdirSync(closed);
    chmodSync(closed, process.getuid?.() === 0 ? 0o700 : 0o000);
    const dataDir = path.join(closed, 'data');
    let exit: Exit;
    try {
      exit = await runToExit(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'cli', 'start.ts')], {
        cwd: projectRoot,
        env: {
          PATH: process.env.PATH,
          DATA_DIR: dataDir,
          // Should it start after all, then not on the ports of a developer's `npm start`.
          PORT: String(await freePort()),
          WORKER_METRICS_PORT: '0',
          EMBEDDED_TEMPORAL_PORT: String(await freePort()),
          EMBEDDED_TEMPORAL_UI_PORT: String(await freePort()),
          EMBEDDED_POSTGRES_PORT: String(await freePort()),
          EMBEDDED_SMTP_PORT: String(await freePort()),
          EMBEDDED_SINGLEKEY_PORT: String(await freePort()),
        },
        timeoutMs: 30_000,
      });
    } finally {
      // Open again, so that what is inside can be checked and the scratch folder removed.
      chmodSync(closed, 0o700);
    }
    assert.equal(exit.code, 1, exit.output);
    assert.ok(exit.ms < 15_000, `took ${exit.ms} ms`);
    const [user, mode, chmod] = process.getuid?.() === 0 ? ['postgres', '0700', 'o+x'] : [os.userInfo().username, '0000', 'u+x'];
    assert.equal(
      exit.output,
      `PostgreSQL runs as user "${user}", which may not enter ${closed} (mode ${mode}): ` +
        `set DATA_DIR to a folder outside it, or let it in with: chmod ${chmod} ${closed}\n`,
    );
    assert.equal(existsSync(dataDir), false, 'nothing written to DATA_DIR');
  });
});
