/**
 * Runs starts side by side like `Promise.all`, but when one fails the others are told to give up
 * (through the signal) and the failure is thrown only once every start has settled: nothing is
 * still starting, and later left running, while the caller cleans up after the failure. Each start
 * registers its own stop as soon as it has succeeded.
 */
export async function startSideBySide<T extends readonly unknown[]>(starts: {
  [K in keyof T]: (signal: AbortSignal) => Promise<T[K]>;
}): Promise<T> {
  const giveUp = new AbortController();
  let failure: { error: unknown } | undefined;
  const results = await Promise.allSettled(
    starts.map(async (start) => {
      try {
        return await start(giveUp.signal);
      } catch (error) {
        failure ??= { error };
        giveUp.abort(error);
        throw error;
      }
    }),
  );
  if (failure) throw failure.error;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
