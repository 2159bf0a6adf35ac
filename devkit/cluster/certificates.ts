import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The files of the cluster's private certificate authority, its frontend's certificate and the one client certificate. */
export interface ClusterCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The name the server certificate is issued to (and clients check). */
  serverName: 'localhost';
}

/**
 * Creates, on first use, a certificate authority, a server certificate for `localhost` and
 * 127.0.0.1, and a client certificate, all signed by it (ECDSA P-256, with `openssl`, which every
 * Linux and macOS has), in `dir`; later starts reuse them. Keys are readable by their owner only.
 */
export function ensureCertificates(dir: string): ClusterCertificates {
  const files: ClusterCertificates = {
    ca: path.join(dir, 'ca.pem'),
    serverCert: path.join(dir, 'server.pem'),
    serverKey: path.join(dir, 'server.key'),
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.key'),
    serverName: 'localhost',
  };
  if ([files.ca, files.serverCert, files.serverKey, files.clientCert, files.clientKey].every((file) => existsSync(file))) return files;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caKey = path.join(dir, 'ca.key');
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...key, '-keyout', caKey, '-out', files.ca, '-days', '3650', '-subj', '/CN=screenings cluster CA'], dir);
  issue(dir, 'server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n', files.ca, caKey, key);
  issue(dir, 'client', '/CN=screenings', 'extendedKeyUsage=clientAuth\n', files.ca, caKey, key);
  return files;
}

function issue(dir: string, name: string, subject: string, extensions: string, ca: string, caKey: string, key: string[]): void {
  const request = path.join(dir, `${name}.csr`);
  const extfile = path.join(dir, `${name}.ext`);
  writeFileSync(extfile, extensions);
  try {
    openssl(['req', ...key, '-keyout', path.join(dir, `${name}.key`), '-out', request, '-subj', subject], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        request,
        '-CA',
        ca,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-out',
        path.join(dir, `${name}.pem`),
        '-days',
        '825',
        '-extfile',
        extfile,
      ],
      dir,
    );
  } finally {
    rmSync(request, { force: true });
    rmSync(extfile, { force: true });
  }
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.error) throw new Error(`the cluster's certificates are made with openssl, which could not be run (${result.error.message}): install openssl`);
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.trim().split('\n').at(-1)}`);
}
