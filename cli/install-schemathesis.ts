/**
 * `npm run setup:schemathesis`: installs the pinned schemathesis (the OpenAPI fuzz test's fuzzer)
 * from PyPI into `.temporal/python`. Run by `npm test` before the suites; idempotent: when the
 * pinned versions are installed it only says where.
 */
import path from 'node:path';
import { findSchemathesis, installSchemathesis } from '../devkit/schemathesis';

try {
  const found = findSchemathesis();
  if (found) console.log(`[setup] schemathesis ${found.version}: ${path.relative(process.cwd(), found.env.PYTHONPATH)} (pinned)`);
  else installSchemathesis();
} catch (error) {
  console.error(`[setup] could not install schemathesis, which the OpenAPI fuzz test runs: ${(error as Error).message}`);
  process.exitCode = 1;
}
