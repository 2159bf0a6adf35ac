import { Connection } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { stringify } from 'yaml';
import type { TemporalConnection } from '../../src/config';
import { allFree, freePortsIn } from '../embedded/free-port';
import { liveOwner, startManagedProcess, stopLeftover } from '../embedded/managed-process';
import type { ServerBinaries } from '../temporal-server-install';
import type { ClusterCertificates } from './certificates';

export interface TemporalServerOptions {
  binaries: ServerBinaries;
  /** Folder for its config, log, pid file and port choice; reused across starts. */
  dir: string;
  /** The PostgreSQL server that holds its `temporal` and `temporal_visibility` databases. */
  postgres: { host: string; port: number; user: string; password: string };
  certificates: ClusterCertificates;
  /** Ports promised to servers that do not listen yet (the API processes'), kept out of the server's choice. */
  avoid?: number[];
  /** Progress lines: a start-up that failed and is tried again. */
  say?: (line: string) => void;
  signal?: AbortSignal;
}

export interface TemporalServer {
  /** `127.0.0.1:<port>` of the frontend, which requires a client certificate. */
  address: string;
  /** What a client needs besides the address: the CA, the client certificate and the server name. */
  connection: TemporalConnection;
  logFile: string;
  stop(): Promise<void>;
}

/** The pid file in the server's folder (whose owner is the `npm run cluster` that started it). */
export const TEMPORAL_SERVER_PID = 'temporal-server.pid';

const services = ['frontend', 'history', 'matching', 'worker'] as const;
type Ports = Record<(typeof services)[number], { grpcPort: number; membershipPort: number }> & { frontendHttp: number };

/** Starts tried before giving up: a port found free can be taken by another process before the server binds it. */
const START_ATTEMPTS = 3;

/** The server ended before it answered; `reason` is what its log says. */
class StartUpExit extends Error {
  constructor(
    readonly reason: string,
    logFile: string,
  ) {
    super(`the Temporal server exited during start-up (${reason}); see ${logFile}`);
  }
}

/**
 * The real Temporal server (one process running all four services) on PostgreSQL with SQL
 * visibility, its frontend behind mutual TLS. Applies Temporal's schemas with its own schema tool
 * first (`setup-schema` once, `update-schema` on every start: both are idempotent that way), and
 * resolves once the frontend answers a client holding the certificate. A server that exits during
 * start-up is started again on other free ports, up to START_ATTEMPTS times.
 */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const { dir, certificates } = options;
  mkdirSync(path.join(dir, 'config', 'dynamicconfig'), { recursive: true });
  const pidFile = path.join(dir, TEMPORAL_SERVER_PID);
  const logFile = path.join(dir, 'temporal-server.log');
  const owner = liveOwner(pidFile);
  if (owner !== undefined) throw new Error(`the Temporal server of ${dir} belongs to running process ${owner} (another npm run cluster?); stop it first`);
  await stopLeftover(pidFile);

  for (const database of ['temporal', 'temporal_visibility'] as const) await applySchema(options, database, logFile);
  options.signal?.throwIfAborted();

  writeFileSync(
    path.join(dir, 'config', 'dynamicconfig', 'cluster.yaml'),
    // A search attribute registered a moment ago is usable at once (as on the dev server).
    stringify({ 'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }] }),
  );
  const connection: TemporalConnection = {
    tls: {
      serverNameOverride: certificates.serverName,
      serverRootCACertificate: readFileSync(certificates.ca),
      clientCertPair: { crt: readFileSync(certificates.clientCert), key: readFileSync(certificates.clientKey) },
    },
  };
  for (let attempt = 1; ; attempt += 1) {
    const ports = await portsFor(dir, options.avoid ?? [], attempt > 1);
    try {
      const stop = await startOn(options, ports, connection, { pidFile, logFile });
      return { address: frontendAddress(ports), connection, logFile, stop };
    } catch (error) {
      if (!(error instanceof StartUpExit) || attempt === START_ATTEMPTS) throw error;
      options.say?.(
        `the Temporal server exited during start-up (${error.reason}); starting it again on other ports (attempt ${attempt + 1} of ${START_ATTEMPTS})`,
      );
    }
  }
}

const frontendAddress = (ports: Ports) => `127.0.0.1:${ports.frontend.grpcPort}`;

/** One start on `ports`: resolves with its stop once the frontend answers, throws StartUpExit when it exits first. */
async function startOn(
  options: TemporalServerOptions,
  ports: Ports,
  connection: TemporalConnection,
  files: { pidFile: string; logFile: string },
): Promise<() => Promise<void>> {
  const { dir } = options;
  const { logFile } = files;
  writeFileSync(path.join(dir, 'config', 'development.yaml'), stringify(serverConfig(options, ports)));
  const logStart = existsSync(logFile) ? statSync(logFile).size : 0;
  const server = startManagedProcess({
    name: 'Temporal server',
    command: options.binaries.server,
    args: ['--root', dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'],
    logFile,
    pidFile: files.pidFile,
  });
  const address = frontendAddress(ports);
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      await server.exited;
      const log = readFileSync(logFile).subarray(logStart).toString();
      throw new StartUpExit(`${server.child.exitCode ?? server.child.signalCode}: ${startUpFailure(log)}`, logFile);
    }
    if (options.signal?.aborted || Date.now() > deadline) {
      await server.stop('SIGTERM', 10_000);
      options.signal?.throwIfAborted();
      throw new Error(`the Temporal server did not answer on ${address} within 90 s; see ${logFile}`);
    }
    try {
      const client = await Connection.connect({ ...connection, address, connectTimeout: 2_000 });
      try {
        await client.withDeadline(Date.now() + 2_000, () => client.workflowService.getSystemInfo({}));
        break;
      } finally {
        await client.close();
      }
    } catch {
      await sleep(500);
    }
  }
  return () => server.stop('SIGTERM', 30_000);
}

/**
 * Why the server stopped, from what it wrote to its log: the last fatal entry of its JSON log (a
 * port already in use, a database it cannot reach), else its last line ("Unable to start server").
 */
export function startUpFailure(log: string): string {
  const lines = log
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  for (const line of [...lines].reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      if (entry.level === 'fatal' || entry.level === 'panic') return [entry.msg, entry.error].filter(Boolean).join(': ');
    } catch {
      // Not one of its JSON entries: the last line below stands in.
    }
  }
  return lines.at(-1)?.slice(0, 500) ?? 'nothing in its log';
}

/** Creates the database and its schema on the first start, then brings it to the pinned version's schema. */
async function applySchema(options: TemporalServerOptions, database: 'temporal' | 'temporal_visibility', logFile: string): Promise<void> {
  const { host, port, user, password } = options.postgres;
  const env = {
    ...process.env,
    SQL_PLUGIN: 'postgres12',
    SQL_HOST: host,
    SQL_PORT: String(port),
    SQL_USER: user,
    SQL_PASSWORD: password,
    SQL_DATABASE: database,
  };
  const folder = database === 'temporal' ? 'temporal' : 'visibility';
  if (!(await hasSchema(options.postgres, database))) {
    await sqlTool(options.binaries.sqlTool, ['create-database'], env, logFile, true);
    await sqlTool(options.binaries.sqlTool, ['setup-schema', '-v', '0.0'], env, logFile);
  }
  await sqlTool(options.binaries.sqlTool, ['update-schema', '-d', path.join(options.binaries.schemaDir, folder, 'versioned')], env, logFile);
}

async function hasSchema(postgres: TemporalServerOptions['postgres'], database: string): Promise<boolean> {
  const client = new pg.Client({ ...postgres, database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) return false;
  } finally {
    await client.end();
  }
  const inside = new pg.Client({ ...postgres, database });
  inside.on('error', () => undefined);
  await inside.connect();
  try {
    return (await inside.query("select to_regclass('public.schema_version') is not null as found")).rows[0].found === true;
  } finally {
    await inside.end();
  }
}

function sqlTool(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, mayExist = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      writeFileSync(logFile, `[temporal-sql-tool ${env.SQL_DATABASE} ${args.join(' ')}]\n${output}\n`, { flag: 'a' });
      if (code === 0 || (mayExist && /already exists/.test(output))) return resolve();
      reject(new Error(`temporal-sql-tool ${args[0]} on ${env.SQL_DATABASE} failed (exit ${code}): ${output.trim().split('\n').at(-1)}; see ${logFile}`));
    });
  });
}

/**
 * Free ports chosen on the first start and kept, so the frontend's address (in the profile file, in
 * an operator's commands) stays the same across restarts. New ones when `fresh`, or when a kept one
 * is taken: the server writes its new frontend address into its cluster metadata as it starts.
 */
async function portsFor(dir: string, avoid: number[], fresh: boolean): Promise<Ports> {
  const file = path.join(dir, 'ports.json');
  if (!fresh && existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, 'utf8')) as Ports;
    const list = [kept.frontendHttp, ...services.flatMap((service) => [kept[service].grpcPort, kept[service].membershipPort])];
    if (!list.some((port) => avoid.includes(port)) && (await allFree(list))) return kept;
  }
  // Below 32768: the cluster's membership table keeps ports in a smallint.
  const [frontendHttp, ...rest] = await freePortsIn(1 + 2 * services.length, 20_000, 32_000, avoid);
  const ports = { frontendHttp } as Ports;
  for (const [i, service] of services.entries()) ports[service] = { grpcPort: rest[2 * i]!, membershipPort: rest[2 * i + 1]! };
  writeFileSync(file, `${JSON.stringify(ports, null, 2)}\n`);
  return ports;
}

/** The server's configuration: the sample `development-postgres12.yaml` of the module, with our ports, database and TLS. */
function serverConfig(options: TemporalServerOptions, ports: Ports) {
  const { postgres, certificates } = options;
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${postgres.host}:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const clientTls = { serverName: certificates.serverName, rootCaFiles: [certificates.ca] };
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: { 'postgres-default': datastore('temporal', 20), 'postgres-visibility': datastore('temporal_visibility', 4) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      tls: {
        frontend: {
          server: { certFile: certificates.serverCert, keyFile: certificates.serverKey, requireClientAuth: true, clientCaFiles: [certificates.ca] },
          client: clientTls,
        },
        // The server's own system worker is a client of its frontend too.
        systemWorker: { certFile: certificates.clientCert, keyFile: certificates.clientKey, client: clientTls },
      },
    },
    services: Object.fromEntries(
      services.map((service) => [
        service,
        { rpc: { ...ports[service], bindOnLocalHost: true, ...(service === 'frontend' ? { httpPort: ports.frontendHttp } : {}) } },
      ]),
    ),
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `localhost:${ports.frontend.grpcPort}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: path.join(options.dir, 'config', 'dynamicconfig', 'cluster.yaml'), pollInterval: '10s' },
  };
}
