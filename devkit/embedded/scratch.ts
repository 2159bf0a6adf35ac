import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A scratch folder and what must be undone when it goes, newest first (the benchmark's and chaos suite's stacks). */
export interface Scratch {
  dir: string;
  /** Registers a clean-up, run by `stop()` before the ones registered earlier. */
  defer(cleanup: () => Promise<unknown> | void): void;
  /** Runs every clean-up (once), then removes the folder. */
  stop(): Promise<void>;
}

export function openScratch(prefix: string): Scratch {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to enter the folder.
  chmodSync(dir, 0o755);
  const cleanups: (() => Promise<unknown> | void)[] = [() => rmSync(dir, { recursive: true, force: true })];
  return {
    dir,
    defer: (cleanup) => void cleanups.push(cleanup),
    async stop() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    },
  };
}
