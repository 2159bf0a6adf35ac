import { Connection } from '@temporalio/client';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { searchAttributeTypes } from '../../workflows/messages';
import { setTimeout as sleep } from 'node:timers/promises';
import { liveOwner, type ManagedProcess, startManagedProcess, stopLeftover } from './managed-process';

export interface DevServerOptions {
  cliPath: string;
  /** Folder for the SQLite file, the log and the pid file; reused across starts. */
  dir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Whether to serve the Web UI (tests do without). */
  ui?: boolean;
  startTimeoutMs?: number;
  /** Further `start-dev` flags (tests set dynamic config with them). */
  extraArgs?: string[];
  /** Gives up starting: the server is stopped and the start rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * Runs `temporal server start-dev` on a persistent SQLite file with the service's search attributes
 * registered, and resolves once its frontend answers.
 */
export async function startTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  options.signal?.throwIfAborted();
  mkdirSync(options.dir, { recursive: true });
  const pidFile = path.join(options.dir, 'temporal.pid');
  const logFile = path.join(options.dir, 'temporal.log');
  const owner = liveOwner(pidFile);
  if (owner !== undefined)
    throw new Error(`the Temporal dev server of ${options.dir} belongs to running process ${owner} (another npm start?); stop it or use another DATA_DIR`);
  await stopLeftover(pidFile);
  const address = `127.0.0.1:${options.port}`;
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    path.join(options.dir, 'temporal.sqlite'),
    // WAL with synchronous=NORMAL survives a crash of any process (not a power cut) and makes each
    // signal-with-start about 30x faster here (p50 198 ms -> 6 ms on a used database).
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--log-level',
    'warn',
    ...(options.namespace === 'default' ? [] : ['--namespace', options.namespace]),
    ...Object.entries(searchAttributeTypes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ...(options.ui === false ? ['--headless'] : ['--ui-port', String(options.uiPort), '--ui-disable-news-fetch']),
    ...(options.extraArgs ?? []),
  ];
  const server = startManagedProcess({ name: 'Temporal dev server', command: options.cliPath, args, logFile, pidFile });
  try {
    await waitUntilServing(server, address, options.namespace, options.startTimeoutMs ?? 60_000, logFile, options.signal);
  } catch (error) {
    // Given up on, it may be creating its database: let it stop cleanly so that the next start can use it.
    await (options.signal?.aborted ? server.stop('SIGTERM', 5_000) : server.stop('SIGKILL'));
    throw error;
  }
  return {
    address,
    uiUrl: options.ui === false ? undefined : `http://localhost:${options.uiPort}`,
    logFile,
    stop: () => server.stop('SIGTERM'),
  };
}

async function waitUntilServing(
  server: ManagedProcess,
  address: string,
  namespace: string,
  timeoutMs: number,
  logFile: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`Temporal dev server exited during start-up (exit ${server.child.exitCode ?? server.child.signalCode}); see ${logFile}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  }
  throw new Error(`Temporal dev server did not answer on ${address} within ${timeoutMs} ms (${String(lastError)}); see ${logFile}`);
}
