/**
 * `npm run setup:cluster`: builds the pinned Temporal server and its schema tool into `.temporal/bin`
 * (see devkit/temporal-server-install.ts). Idempotent: an installed copy of the pinned version is only reported.
 */
import { ensureServer, SERVER } from '../devkit/temporal-server-install';

ensureServer((line) => console.log(line)).then(
  (found) => console.log(`[setup] temporal-server ${SERVER.version}: ${found.server}`),
  (error: unknown) => {
    console.error(`[setup] could not install the Temporal server: ${(error as Error).message}`);
    process.exitCode = 1;
  },
);
