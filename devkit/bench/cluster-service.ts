import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, temporalProfile } from '../../src/config';
import { createDb } from '../../src/db/connection';
import { connectClient } from '../../src/temporal/connect';
import { createScreeningSignaler } from '../../src/temporal/screening-signaler';
import { DEFAULT_TASK_QUEUE } from '../../workflows/messages';
import { startClusterProcess } from '../cluster/cluster-process';
import { CLUSTER_PROFILE } from '../cluster/stack';
import { devCodecKeys } from '../embedded/dev-secret';
import { urlFor } from '../embedded/postgres';
import { openScratch } from '../embedded/scratch';
import { startSingleKeyStandIn } from '../stand-in/server';
import { say } from './load';
import type { BenchService } from './service';

/**
 * The cluster profile (`npm run cluster`: the real Temporal server on PostgreSQL with mTLS, two API
 * processes, two workers) in a scratch folder, with a SingleKey stand-in whose reports are ready at
 * once, reached the way the benchmark reaches the dev-server service.
 */
export async function startBenchCluster(tokens: string): Promise<BenchService> {
  const scratch = openScratch('screenings-bench-cluster-');
  try {
    const singlekey = await startSingleKeyStandIn({ token: 'bench-token', readyByDefault: true });
    scratch.defer(() => singlekey.close());
    say(`starting the cluster profile (real Temporal server, mTLS, 2 API processes, 2 workers) in ${scratch.dir} ...`);
    const cluster = await startClusterProcess({ dataDir: scratch.dir, env: { SINGLEKEY_API_URL: singlekey.url, SINGLEKEY_API_TOKEN: singlekey.token } });
    scratch.defer(() => cluster.stop());
    const profile = temporalProfile(path.join(scratch.dir, 'cluster', 'temporal.toml'), CLUSTER_PROFILE);
    const client = await connectClient(profile.address!, profile.namespace, profile.connection, devCodecKeys(scratch.dir));
    scratch.defer(() => client.connection.close());
    const db = createDb(urlFor(cluster.postgresPort), 4);
    scratch.defer(() => db.destroy());
    return {
      api: cluster.apis[0]!,
      apis: cluster.apis,
      client,
      db,
      dataDir: scratch.dir,
      databaseUrl: urlFor(cluster.postgresPort),
      secret: readFileSync(path.join(scratch.dir, 'webhook-secret'), 'utf8').trim(),
      pid: cluster.child.pid,
      signaler: createScreeningSignaler(client, { taskQueue: DEFAULT_TASK_QUEUE, lifecycle: loadConfig({}).lifecycle }),
      tokens,
      stop: scratch.stop,
    };
  } catch (error) {
    await scratch.stop();
    throw error;
  }
}
