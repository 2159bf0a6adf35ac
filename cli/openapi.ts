/**
 * `npm run openapi`: writes the rental platform's OpenAPI document (`src/http/openapi.ts`, also
 * served at /openapi.json) to openapi.json at the repository root, formatted as `npm run format`
 * would, for review in diffs and for the platform's tooling. A test fails while the copy is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { openApiDocument } from '../src/http/openapi';

const file = path.resolve(__dirname, '..', 'openapi.json');

async function main(): Promise<void> {
  const options = await prettier.resolveConfig(file);
  writeFileSync(file, await prettier.format(JSON.stringify(openApiDocument()), { ...options, filepath: file }));
  console.log(`OpenAPI document: ${path.relative(process.cwd(), file)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
