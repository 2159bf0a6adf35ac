import { closedLoop, say } from './load';
import type { BenchOptions } from './options';
import type { BenchService } from './service';

/** The load generator's own ceiling, against an endpoint that does no work. */
export interface GeneratorResult {
  rps: number;
}

/** Phase 0: how fast this client can ask at all (GET /healthz), at most 5 s. */
export async function measureGenerator(service: BenchService, options: BenchOptions): Promise<GeneratorResult> {
  say('\n[0/6] load generator check (GET /healthz)');
  const generator = await closedLoop('healthz', options.concurrency, Math.min(options.durationMs, 5_000), async () => {
    await (await fetch(`${service.api}/healthz`)).arrayBuffer();
  });
  return { rps: generator.rps };
}
