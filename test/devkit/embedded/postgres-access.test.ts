import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { assertPostgresMayEnter, closedFolderOnTheWay, systemUser } from '../../../devkit/embedded/postgres-access';
import { SetupError } from '../../../src/entrypoint';
import { testEnvironment } from '../../support/environment';

const asRoot = process.getuid?.() === 0;
/** Keeps out the user PostgreSQL runs as: "postgres" as root (a private folder), else ourselves. */
const CLOSED = asRoot ? 0o700 : 0o000;

describe('folders PostgreSQL may enter', () => {
  let work: string;
  const folder = (name: string, mode: number) => {
    const made = path.join(work, name);
    mkdirSync(made);
    chmodSync(made, mode);
    return made;
  };

  beforeEach(() => {
    work = mkdtempSync(path.join(testEnvironment().root, 'postgres-access-'));
    chmodSync(work, 0o755);
  });

  it('finds none closed on the way to a folder below open ones, including parts not created yet', () => {
    assert.equal(closedFolderOnTheWay(path.join(folder('open', 0o755), 'not', 'there', 'yet')), undefined);
  });

  it('names the topmost closed folder and the chmod that opens it', () => {
    const closed = folder('closed', CLOSED);
    try {
      assert.deepEqual(closedFolderOnTheWay(path.join(closed, 'data', 'postgres')), { folder: closed, mode: CLOSED, chmod: asRoot ? 'o+x' : 'u+x' });
    } finally {
      chmodSync(closed, 0o700);
    }
  });

  it('lets PostgreSQL into a folder that is private to the user it runs as', () => {
    const own = folder('own', 0o700);
    if (asRoot) {
      const postgres = systemUser('postgres');
      assert.ok(postgres, 'the test environment created the "postgres" user');
      chownSync(own, postgres.uid, postgres.gid);
    }
    assert.equal(closedFolderOnTheWay(own), undefined);
  });

  it('fails with a SetupError naming the setting to change', () => {
    const closed = folder('closed', CLOSED);
    try {
      assert.throws(
        () => assertPostgresMayEnter(path.join(closed, 'postgres'), 'TMPDIR'),
        (error: Error) =>
          error instanceof SetupError && error.message.includes(`may not enter ${closed} `) && error.message.includes('set TMPDIR to a folder outside it'),
      );
    } finally {
      chmodSync(closed, 0o700);
    }
  });
});
