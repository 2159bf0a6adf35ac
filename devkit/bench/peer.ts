import { fork } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../embedded/free-port';
import { sendBurst } from './burst';
import { say } from './load';
import type { BenchOptions } from './options';
import type { BenchService } from './service';

/** The peer's burst: the same deliveries, connections and retries as the service's. */
export interface PeerResult {
  deliveries: number;
  sendSeconds: number;
  lostAfterRetries: number;
}

/**
 * Phase 4b, right after the service's burst: the same burst against a verify-and-INSERT receiver on
 * the same PostgreSQL (devkit/bench/peer-receiver.ts, its own process), the ratio's denominator.
 */
export async function measurePeer(service: BenchService, options: BenchOptions): Promise<PeerResult> {
  say(`\n[4b/6] peer: the same ${options.burst} deliveries to a verify-and-INSERT PostgreSQL receiver`);
  const port = await freePort();
  const child = fork(path.join(__dirname, 'peer-receiver.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { PATH: process.env.PATH, PORT: String(port), DATABASE_URL: service.databaseUrl, WEBHOOK_SECRET: service.secret },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the peer receiver exited with ${code}`)));
    });
    const sent = await sendBurst({ apis: [`http://127.0.0.1:${port}`], secret: service.secret }, options.burst, `${service.tokens}p`, 'peer answered');
    return { deliveries: options.burst, sendSeconds: sent.sendSeconds, lostAfterRetries: sent.lostAfterRetries };
  } finally {
    child.kill('SIGTERM');
  }
}
