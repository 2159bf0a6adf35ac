import Router from '@koa/router';
import { defaultPayloadConverter } from '@temporalio/common';
import Koa from 'koa';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import { registerCodecRoutes } from '../../../src/http/codec-route';
import { HttpError } from '../../../src/http/errors';
import { EncryptionCodec } from '../../../src/temporal/payload-codec';

/** The codec server's HTTP contract: Temporal's protocol, bearer token, CORS for the Web UI's origin only. */
describe('the codec server (/codec/encode, /codec/decode)', () => {
  const token = 'cst_'.padEnd(40, 'x');
  const ui = 'https://temporal-ui.example.test';
  const codec = new EncryptionCodec([{ id: 'k1', key: randomBytes(32) }]);
  let server: Server;
  let base: string;

  before(async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        ctx.status = error.status;
        ctx.body = { error: error.code };
      }
    });
    const router = new Router();
    registerCodecRoutes(router, { codec, token, corsOrigins: [ui] });
    app.use(router.routes());
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codec`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const wire = (payloads: { metadata?: Record<string, Uint8Array | null> | null; data?: Uint8Array | null }[]) => ({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
      data: Buffer.from(p.data ?? []).toString('base64'),
    })),
  });
  const post = (direction: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/${direction}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } });

  it('decodes what the service encrypted, for a caller with the token', async () => {
    const sealed = await codec.encode([defaultPayloadConverter.toPayload({ tenant: 'Tomas' })]);
    const response = await post('decode', wire(sealed), { Authorization: `Bearer ${token}`, 'X-Namespace': 'default' });
    assert.equal(response.status, 200);
    const { payloads } = (await response.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    const decoded = { metadata: { encoding: Buffer.from(payloads[0]!.metadata.encoding!, 'base64') }, data: Buffer.from(payloads[0]!.data, 'base64') };
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded), { tenant: 'Tomas' });
  });

  it('encodes, and answers a query without arguments (no payloads at all)', async () => {
    const response = await post('encode', wire([defaultPayloadConverter.toPayload('x')]), { Authorization: `Bearer ${token}` });
    const { payloads } = (await response.json()) as { payloads: { metadata: Record<string, string> }[] };
    assert.equal(Buffer.from(payloads[0]!.metadata.encoding!, 'base64').toString(), 'binary/encrypted');
    assert.deepEqual(await (await post('encode', {}, { Authorization: `Bearer ${token}` })).json(), { payloads: [] });
  });

  it('refuses a caller without the token, and a wrong one', async () => {
    assert.equal((await post('decode', { payloads: [] })).status, 401);
    assert.equal((await post('decode', { payloads: [] }, { Authorization: 'Bearer nope' })).status, 401);
  });

  it("lets a browser call it from the configured Web UI's origin only", async () => {
    const preflight = await fetch(`${base}/decode`, { method: 'OPTIONS', headers: { Origin: ui, 'Access-Control-Request-Method': 'POST' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), ui);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
    const other = await fetch(`${base}/decode`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example.test' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('npm start: lets this machine in without the token, but not a page whose domain was rebound to it, nor another origin', async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        ctx.status = (error as HttpError).status;
      }
    });
    const router = new Router();
    registerCodecRoutes(router, { codec, openToLoopback: true, corsOrigins: ['http://localhost:8233'] });
    app.use(router.routes());
    const local = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => local.once('listening', resolve));
    const port = (local.address() as AddressInfo).port;
    const call = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        // node:http, not fetch: fetch will not send a Host header of the caller's choosing.
        const request = http.request(
          { host: '127.0.0.1', port, path: '/codec/encode', method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        request.once('error', reject);
        request.end(JSON.stringify({ payloads: [] }));
      });
    try {
      assert.equal(await call({ Host: `localhost:${port}` }), 200, 'the CLI on this machine');
      assert.equal(await call({ Host: `localhost:${port}`, Origin: 'http://localhost:8233' }), 200, 'the embedded Web UI');
      assert.equal(await call({ Host: `evil.example.test:${port}` }), 401, 'a rebound domain');
      assert.equal(await call({ Host: `localhost:${port}`, Origin: 'https://evil.example.test' }), 401, 'another page');
    } finally {
      await new Promise((resolve) => local.close(resolve));
    }
  });

  it('answers 400 to what is not a payload list, and to a payload it cannot decrypt', async () => {
    assert.equal((await post('decode', { payloads: 'no' }, { Authorization: `Bearer ${token}` })).status, 400);
    const foreign = await new EncryptionCodec([{ id: 'other', key: randomBytes(32) }]).encode([defaultPayloadConverter.toPayload(1)]);
    assert.equal((await post('decode', wire(foreign), { Authorization: `Bearer ${token}` })).status, 400);
  });
});
