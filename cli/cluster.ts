/**
 * `npm run cluster`: the production-shaped stack on one machine (devkit/cluster/stack.ts): the real
 * Temporal server on PostgreSQL with mTLS, two API processes and two workers. The server is built
 * from the Go module proxy on first use (`npm run setup:cluster`). Ctrl-C stops everything; data and
 * certificates stay in DATA_DIR/cluster for the next start.
 */
import { startClusterStack } from '../devkit/cluster/stack';
import { runEntrypoint } from '../src/entrypoint';

runEntrypoint(async (config, logger, shutdown) => {
  const started = Date.now();
  const stack = await startClusterStack(config, logger, shutdown, (line) => console.log(line));
  const width = Math.max(...stack.summary.map(([label]) => label.length));
  console.log(
    [
      '',
      `Screening cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      ...stack.summary.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
      '  Try it: npm run simulate -- happy',
      '  Press Ctrl-C to stop; data is kept for the next start.',
      '',
    ].join('\n'),
  );
});
