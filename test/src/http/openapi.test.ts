import { compileErrors, validate } from '@readme/openapi-parser';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../../devkit/temporal-binaries';
import { testApp } from '../../support/test-app';
import { openApiDocument } from '../../../src/http/openapi';
import { serve } from '../../support/serve';

/** The rental platform's OpenAPI document, generated from the zod schemas the routes validate with. */
describe('the OpenAPI document', () => {
  const generated = () => JSON.parse(JSON.stringify(openApiDocument())) as Record<string, unknown>;

  it('is the checked-in openapi.json', () => {
    const checkedIn = JSON.parse(readFileSync(path.join(projectRoot, 'openapi.json'), 'utf8')) as unknown;
    assert.deepEqual(checkedIn, generated(), 'openapi.json is stale: run `npm run openapi` and commit the result');
  });

  it('validates as OpenAPI 3.1', async () => {
    const document = generated();
    assert.equal(document.openapi, '3.1.0');
    const result = await validate(document as Parameters<typeof validate>[0]);
    assert.ok(result.valid, compileErrors(result));
  });

  it('describes POST /screenings, both reads and the status webhook, with problem+json errors', () => {
    const document = openApiDocument();
    assert.deepEqual(Object.keys(document.paths?.['/screenings'] ?? {}).sort(), ['get', 'post']);
    assert.ok(document.paths?.['/screenings/{purchase_token}']?.get);
    assert.ok(document.webhooks?.screeningStatusChanged?.post);
    const post = document.paths?.['/screenings']?.post;
    assert.deepEqual(Object.keys(post?.responses ?? {}), ['201', '400', '401', '409', '413', '415', '422', '503']);
  });

  it('is served at GET /openapi.json without a platform key', async () => {
    const server = await serve(testApp());
    try {
      const response = await fetch(`${server.url}/openapi.json`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await response.json(), generated());
    } finally {
      await server.close();
    }
  });
});
