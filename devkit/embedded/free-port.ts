import net from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A free port in [from, to): for servers that store their port in a narrower type than the OS's
 * ephemeral range fits (Temporal keeps membership ports in a PostgreSQL `smallint`, below 32768).
 */
export async function freePortIn(from: number, to: number, avoid: Iterable<number> = []): Promise<number> {
  const taken = new Set(avoid);
  for (let tries = 0; tries < 200; tries += 1) {
    const candidate = from + Math.floor(Math.random() * (to - from));
    if (!taken.has(candidate) && (await canListen(candidate))) return candidate;
  }
  throw new Error(`no free port between ${from} and ${to}`);
}

/** `count` distinct free ports in [from, to), none of them in `avoid` (ports promised to servers not listening yet). */
export async function freePortsIn(count: number, from: number, to: number, avoid: Iterable<number> = []): Promise<number[]> {
  const chosen = new Set(avoid);
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePortIn(from, to, chosen);
    chosen.add(port);
    ports.push(port);
  }
  return ports;
}

/** Whether every port in `ports` can be listened on at this moment. */
export async function allFree(ports: number[]): Promise<boolean> {
  for (const port of ports) if (!(await canListen(port))) return false;
  return true;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Two consecutive free ports in [from, to): `npm run cluster` serves its API processes on PORT and PORT+1. */
export async function freePortPairIn(from: number, to: number): Promise<number> {
  for (;;) {
    const first = await freePortIn(from, to - 1);
    if (await canListen(first + 1)) return first;
  }
}
