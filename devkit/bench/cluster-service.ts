import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, temporalProfile } from '../../src/config';
import { createDb } from '../../src/db/connection';
import { connectClient } from '../../src/temporal/connect';
import { devCodecKeys } from '../embedded/dev-secret';
import { createScreeningSignaler } from '../../src/temporal/screening-signaler';
import { DEFAULT_TASK_QUEUE } from '../../workflows/messages';
import { CLUSTER_PROFILE } from '../cluster/stack';
import { freePort, freePortIn } from '../embedded/free-port';
import { urlFor } from '../embedded/postgres';
import { startSingleKeyStandIn } from '../stand-in/server';
import { projectRoot } from '../temporal-binaries';
import { say } from './load';
import type { BenchService } from './service';

/**
 * The cluster profile (`npm run cluster`: the real Temporal server on PostgreSQL with mTLS, two API
 * processes, two workers) in a scratch folder, with a SingleKey stand-in whose reports are ready at
 * once, reached the way the benchmark reaches the dev-server service.
 */
export async function startBenchCluster(tokens: string): Promise<BenchService> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'screenings-bench-cluster-'));
  chmodSync(dataDir, 0o755);
  const cleanups: (() => Promise<unknown> | void)[] = [() => rmSync(dataDir, { recursive: true, force: true })];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const singlekey = await startSingleKeyStandIn({ token: 'bench-token', readyByDefault: true });
    cleanups.push(() => singlekey.close());
    let apiPort = await freePortIn(20_000, 32_000);
    while (!(await freePortIn(apiPort + 1, apiPort + 2).catch(() => undefined))) apiPort = await freePortIn(20_000, 32_000);
    const postgresPort = await freePort();
    say(`starting the cluster profile (real Temporal server, mTLS, 2 API processes, 2 workers) in ${dataDir} ...`);
    const cluster = spawn(process.execPath, ['--import', 'tsx', 'cli/cluster.ts'], {
      cwd: projectRoot,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LOG_LEVEL: 'warn',
        DATA_DIR: dataDir,
        PORT: String(apiPort),
        EMBEDDED_POSTGRES_PORT: String(postgresPort),
        EMBEDDED_SMTP_PORT: String(await freePort()),
        SINGLEKEY_API_URL: singlekey.url,
        SINGLEKEY_API_TOKEN: singlekey.token,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    cluster.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cluster.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cleanups.push(async () => {
      if (cluster.exitCode !== null) return;
      const exited = new Promise((resolve) => cluster.once('exit', resolve));
      cluster.kill('SIGINT');
      await exited;
    });
    for (const deadline = Date.now() + 900_000; !output.includes('Screening cluster ready'); await sleep(200)) {
      if (cluster.exitCode !== null || Date.now() > deadline) throw new Error(`npm run cluster did not become ready:\n${output}`);
    }
    const profile = temporalProfile(path.join(dataDir, 'cluster', 'temporal.toml'), CLUSTER_PROFILE);
    const client = await connectClient(profile.address!, profile.namespace, profile.connection, devCodecKeys(dataDir));
    cleanups.push(() => client.connection.close());
    const db = createDb(urlFor(postgresPort), 4);
    cleanups.push(() => db.destroy());
    const apis = [`http://127.0.0.1:${apiPort}`, `http://127.0.0.1:${apiPort + 1}`];
    return {
      api: apis[0]!,
      apis,
      client,
      db,
      dataDir,
      secret: readFileSync(path.join(dataDir, 'webhook-secret'), 'utf8').trim(),
      pid: cluster.pid,
      signaler: createScreeningSignaler(client, { taskQueue: DEFAULT_TASK_QUEUE, lifecycle: loadConfig({}).lifecycle }),
      tokens,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
