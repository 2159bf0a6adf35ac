import { mkdtempSync, chmodSync } from 'node:fs';
import { startEmbeddedPostgres } from './devkit/embedded/postgres';
import { ensureCertificates } from './devkit/cluster/certificates';
import { startTemporalServer } from './devkit/cluster/temporal-server';
import { findServer } from './devkit/temporal-server-install';
import { connectClient } from './src/temporal/connect';
import { setRetention } from './src/temporal/search-attributes';
(async () => {
  const dir = mkdtempSync('/tmp/probe-cluster-'); chmodSync(dir, 0o755);
  const t0 = Date.now();
  const pgs = await startEmbeddedPostgres({ dir: dir + '/pg', port: 5491, dirSetting: 'TMPDIR' });
  const certs = ensureCertificates(dir + '/certs');
  try {
    const server = await startTemporalServer({ binaries: findServer()!, dir: dir + '/temporal', postgres: { host: '127.0.0.1', port: 5491, user: 'postgres', password: 'postgres' }, certificates: certs });
    console.log('ready', Date.now() - t0, server.address);
    const client = await connectClient(server.address, 'default', server.connection);
    console.log(await setRetention(client.connection, 'default', 86400000));
    await client.connection.close();
    await server.stop();
    console.log('stopped', Date.now() - t0);
  } finally { await pgs.stop(); }
})().catch((e) => { console.error(e); process.exit(1); });
