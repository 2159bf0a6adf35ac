/**
 * `npm run bundle:workflows [-- <file>]`: writes the workflow bundle (default dist/workflow-bundle.js)
 * that a worker started with WORKFLOW_BUNDLE=<file> loads instead of bundling workflows/ itself.
 * The Dockerfile runs it at build time.
 */
import { writeWorkflowBundle } from '../src/temporal/workflow-bundle';

const file = process.argv[2] ?? 'dist/workflow-bundle.js';

writeWorkflowBundle(file).then(
  ({ bytes }) => console.log(`workflow bundle: ${file} (${(bytes / 1_048_576).toFixed(1)} MiB)`),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
