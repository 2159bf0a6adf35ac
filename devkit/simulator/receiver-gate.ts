import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import getRawBody from 'raw-body';

/**
 * Stands in front of a webhook receiver and answers 503 (as an overloaded or restarting service
 * would) until `downForMs` has passed, then forwards every request unchanged and relays the answer.
 * The `outage` scenario puts it between the SingleKey stand-in and the service to show SingleKey's
 * retries carrying the deliveries through. Written out rather than taken from a proxy library:
 * it is one request at a time with a time switch, a dozen lines over fetch.
 */
export async function startReceiverGate(target: string, downForMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const opensAt = Date.now() + downForMs;
  const server = createServer((req, res) => {
    void (async () => {
      const body = await getRawBody(req, { limit: '1mb' });
      if (Date.now() < opensAt) {
        res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '60' });
        res.end(JSON.stringify({ error: 'temporarily_unavailable' }));
        return;
      }
      const url = new URL(target);
      new URL(req.url ?? '/', 'http://gate').searchParams.forEach((value, key) => url.searchParams.set(key, value));
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name))) as Record<
        string,
        string
      >;
      const answer = await fetch(url, { method: req.method, headers, body, redirect: 'manual' });
      res.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(502, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'receiver_unreachable', detail: (error as Error).message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
