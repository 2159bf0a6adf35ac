import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSideBySide } from '../../../devkit/embedded/start-side-by-side';

describe('starting helpers side by side', () => {
  it('returns every result in order when all start', async () => {
    assert.deepEqual(await startSideBySide([async () => 'temporal', async () => 42] as const), ['temporal', 42]);
  });

  it('tells the others to give up when one fails, and fails with it only once all have settled', async () => {
    const failure = new Error('PostgreSQL could not start');
    const settled: string[] = [];
    const starting = startSideBySide([
      async (signal) => {
        // A start that only ends when told to give up.
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        await sleep(20);
        settled.push('temporal gave up');
        signal.throwIfAborted();
      },
      async () => {
        await sleep(5);
        throw failure;
      },
      async () => {
        settled.push('smtp started');
      },
    ] as const);
    await assert.rejects(starting, (error) => error === failure);
    assert.deepEqual(settled, ['smtp started', 'temporal gave up']);
  });

  it('counts a start that throws before its first await as failed too', async () => {
    let gaveUp = false;
    const starting = startSideBySide([
      async (signal) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        gaveUp = true;
      },
      (() => {
        throw new Error('no Temporal CLI');
      }) as (signal: AbortSignal) => Promise<never>,
    ] as const);
    await assert.rejects(starting, /no Temporal CLI/);
    assert.equal(gaveUp, true);
  });
});
