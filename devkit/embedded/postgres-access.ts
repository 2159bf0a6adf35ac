import { execFileSync } from 'node:child_process';
import { accessSync, constants, type Stats, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SetupError } from '../../src/entrypoint';

export interface SystemUser {
  uid: number;
  gid: number;
}

/** A folder the user PostgreSQL runs as may not enter, and the `chmod` argument that would let it. */
export interface ClosedFolder {
  folder: string;
  mode: number;
  chmod: string;
}

/** uid and gid of a system user; undefined when there is no such user (yet). */
export function systemUser(name: string): SystemUser | undefined {
  try {
    const id = (flag: string) => Number.parseInt(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: 'pipe' }).trim(), 10);
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/** PostgreSQL refuses to run as root, so as root it runs as "postgres"; otherwise as ourselves. */
function postgresUserName(): string {
  return process.getuid?.() === 0 ? 'postgres' : os.userInfo().username;
}

/**
 * The first existing folder from / down to `dir` (itself included) that the user PostgreSQL runs
 * as may not enter; undefined when it may enter them all. Folders not there yet are skipped: we
 * create them.
 */
export function closedFolderOnTheWay(dir: string): ClosedFolder | undefined {
  const asRoot = process.getuid?.() === 0;
  // As root, mode bits rather than a probe run as "postgres": that user may not exist yet
  // (postgresUser() creates it on the first start). The processes we start as it get no
  // supplementary groups (Node's spawn drops them), so owner, group or other bits decide alone.
  const user = asRoot ? systemUser('postgres') : { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
  for (const folder of foldersDownTo(path.resolve(dir))) {
    let stat: Stats;
    try {
      stat = statSync(folder);
    } catch {
      return undefined;
    }
    const bit = entryBit(stat, user);
    if (asRoot ? (stat.mode & bit) === 0 : !mayEnter(folder)) {
      return { folder, mode: stat.mode & 0o7777, chmod: `${bit === 0o100 ? 'u' : bit === 0o010 ? 'g' : 'o'}+x` };
    }
  }
  return undefined;
}

/**
 * Fails with one line saying which folder and what to do when PostgreSQL could not reach `dir`;
 * `setting` is the variable that chose `dir` (DATA_DIR, TMPDIR).
 */
export function assertPostgresMayEnter(dir: string, setting: string): void {
  const closed = closedFolderOnTheWay(dir);
  if (!closed) return;
  throw new SetupError(
    `PostgreSQL runs as user "${postgresUserName()}", which may not enter ${closed.folder} (mode ${closed.mode.toString(8).padStart(4, '0')}): ` +
      `set ${setting} to a folder outside it, or let it in with: chmod ${closed.chmod} ${closed.folder}`,
  );
}

function foldersDownTo(dir: string): string[] {
  const folders = [dir];
  while (path.dirname(folders[0]!) !== folders[0]) folders.unshift(path.dirname(folders[0]!));
  return folders;
}

function entryBit(stat: Stats, user: SystemUser | undefined): number {
  if (user && stat.uid === user.uid) return 0o100;
  if (user && stat.gid === user.gid) return 0o010;
  return 0o001;
}

/** Our own access, which also counts our supplementary groups and ACLs. */
function mayEnter(folder: string): boolean {
  try {
    accessSync(folder, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
