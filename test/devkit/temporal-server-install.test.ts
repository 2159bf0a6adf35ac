import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureServer, findServer, SERVER } from '../../devkit/temporal-server-install';

/** The real Temporal server's installer: found when built, and a clear message when it cannot be built. */
describe('the Temporal server installer', function () {
  this.timeout(120_000);
  let scratch: string;
  beforeEach(() => (scratch = mkdtempSync(path.join(os.tmpdir(), 'server-install-'))));
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds the pinned build that npm test built, with its schema tool and PostgreSQL schemas', () => {
    const found = findServer();
    assert.ok(found, `temporal-server ${SERVER.version} is not installed (npm run setup:cluster)`);
    assert.match(found.schemaDir, /temporal-server-schema\/postgresql\/v12$/);
  });

  it('names Go as what is missing when there is no go command', async () => {
    await assert.rejects(
      ensureServer(() => undefined, { dir: path.join(scratch, 'bin'), env: { PATH: scratch, HOME: scratch } }),
      /built from source with Go, which is not installed \(no `go` on PATH\)/,
    );
  });

  it('says the Go module proxy could not be reached when it is out of reach', async () => {
    const lines: string[] = [];
    // An empty module cache and no proxy: nothing can be fetched, as on a machine without network.
    const env = { PATH: process.env.PATH, HOME: scratch, GOPROXY: 'off', GOMODCACHE: path.join(scratch, 'mod'), GOCACHE: path.join(scratch, 'cache') };
    await assert.rejects(
      ensureServer((line) => lines.push(line), { dir: path.join(scratch, 'bin'), env }),
      /the Go module proxy could not be reached/,
    );
    assert.match(lines[0] ?? '', /building the Temporal server v1\.32\.2/);
    assert.equal(findServer(path.join(scratch, 'bin')), undefined, 'nothing half-installed is taken for the server');
  });
});
