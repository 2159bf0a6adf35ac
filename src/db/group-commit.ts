/**
 * Group commit: callers hand in one item each and wait for the statement that wrote it; items that
 * arrive while `maxInFlight` statements are already running wait and go together in the next one.
 * With little load each item is written alone at once (no timer, no added latency); under a burst
 * one statement carries many items, so PostgreSQL plans, commits and flushes its WAL once for them
 * and the connection pool is not the queue.
 *
 * Hand-written rather than DataLoader: DataLoader batches what arrives within one tick or a timer,
 * while this flushes whenever a statement slot frees up, which is what keeps an idle edge's latency
 * at one statement and a busy edge's batches as large as the backlog.
 *
 * A failed batch of several items is written again one item at a time, so a single item that
 * PostgreSQL refuses fails alone and does not take the others down with it.
 */
export function groupCommit<T>(write: (items: T[]) => Promise<void>, options: { maxBatch: number; maxInFlight: number }): (item: T) => Promise<void> {
  const waiting: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let inFlight = 0;
  let scheduled = false;

  const flush = async () => {
    const batch = waiting.splice(0, options.maxBatch);
    inFlight += 1;
    try {
      await write(batch.map((w) => w.item));
      for (const w of batch) w.resolve();
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else await Promise.all(batch.map((w) => write([w.item]).then(w.resolve, w.reject)));
    } finally {
      inFlight -= 1;
      schedule();
    }
  };

  function schedule(): void {
    if (scheduled || waiting.length === 0 || inFlight >= options.maxInFlight) return;
    scheduled = true;
    // After the requests already read in this turn of the event loop have joined the batch.
    setImmediate(() => {
      scheduled = false;
      while (waiting.length > 0 && inFlight < options.maxInFlight) void flush();
    });
  }

  return (item) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      schedule();
    });
}
