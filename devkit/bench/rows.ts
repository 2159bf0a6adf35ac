import { setTimeout as sleep } from 'node:timers/promises';
import { progress } from './load';
import type { BenchService } from './service';

/** Rows of `table` whose purchase token starts with `prefix`, optionally narrowed by `where`. */
export async function countRows(service: BenchService, table: string, prefix: string, where: Record<string, string> = {}): Promise<number> {
  const [row] = (await service.db(table).where('purchase_token', 'like', `${prefix}%`).where(where).count({ n: '*' })) as { n: string }[];
  return Number(row?.n ?? 0);
}

/** Waits until the worker has written `expected` screenings rows under `prefix`; returns the seconds waited. */
export async function waitForRows(service: BenchService, label: string, prefix: string, expected: number, timeoutMs = 600_000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const n = await countRows(service, 'screenings', prefix);
    progress(label, n, expected);
    if (n >= expected || Date.now() - t0 > timeoutMs) return (Date.now() - t0) / 1000;
    await sleep(250);
  }
}
