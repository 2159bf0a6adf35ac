import { Connection } from '@temporalio/client';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { screeningEvent } from '../../devkit/builders';
import { signedRequest } from '../../devkit/builders';
import { envelopeOf } from '../../devkit/bench/deliveries';
import { type ClusterProcess, startClusterProcess } from '../../devkit/cluster/cluster-process';
import { CLUSTER_PROFILE } from '../../devkit/cluster/stack';
import { isAlive } from '../../devkit/embedded/managed-process';
import { scenarioNames, scenarios } from '../../devkit/stand-in/scenarios';
import { projectRoot, requireBinary } from '../../devkit/temporal-binaries';
import { loadConfig, temporalProfile } from '../../src/config';
import { embeddedSql } from '../support/embedded-sql';
import { testEnvironment } from '../support/environment';

const run = promisify(execFile);

async function rowsOf(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/**
 * `npm run cluster` as a user runs it: the real Temporal server (built from source) on PostgreSQL
 * with mTLS, two API processes and two workers. The simulator's scenarios go through both API
 * processes; the workers are restarted one after the other while screenings are open; a client
 * without the certificate is refused; Ctrl-C leaves nothing behind.
 */
describe('npm run cluster: the real Temporal server with mTLS, two API processes, two workers (end to end)', function () {
  this.timeout(300_000);

  let dataDir: string;
  let cluster: ClusterProcess | undefined;
  let env: Record<string, string | undefined>;
  let apis: string[];
  let postgresPort: number;
  const clusterDir = () => path.join(dataDir, 'cluster');
  const temporalCli = requireBinary('cli', loadConfig({ PATH: process.env.PATH }));

  before(async function () {
    // The first run on a machine builds the Temporal server (about 6 minutes on 2 cores).
    this.timeout(900_000);
    dataDir = path.join(testEnvironment().root, 'cluster-data');
    cluster = await startClusterProcess({ dataDir, env: { REMINDER_SCHEDULE: '2s,4s', SCREENING_EXPIRY: '7s', COMPLETION_SLA: '3s' } });
    ({ env, apis, postgresPort } = cluster);
  });

  after(() => cluster?.stop());

  function runScript(script: string, args: string[]): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: projectRoot, timeout: 120_000, env }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
    });
  }

  for (const [i, name] of scenarioNames.entries()) {
    const expected = scenarios[name]!.expectedStatus;
    it(`${name} ends ${expected} (through API process ${(i % 2) + 1})`, async () => {
      const { code, output } = await runScript('cli/simulate.ts', [name, '--speed', '300', '--wait', '60', '--url', `${apis[i % 2]}/webhooks/singlekey`]);
      assert.equal(code, 0, output);
      assert.match(output, new RegExp(`status +${expected} +\\(expected ${expected}: yes\\)`));
      // The simulator found the cluster by itself and says how to reach it with the CLI.
      assert.match(output, new RegExp(`temporal --config-file \\S+temporal\\.toml --profile ${CLUSTER_PROFILE} workflow query`));
    });
  }

  it("leaves none of the tenant's or landlord's names, e-mails, phone numbers or address readable in the Temporal server's PostgreSQL", async () => {
    // Every text and byte column of both Temporal databases, read back through PostgreSQL (which undoes its own compression).
    const stored: Buffer[] = [];
    for (const database of ['temporal', 'temporal_visibility']) {
      const url = `postgres://postgres:postgres@127.0.0.1:${postgresPort}/${database}`;
      const columns = await rowsOf(
        url,
        "select table_name, column_name from information_schema.columns where table_schema = 'public' and data_type in ('bytea', 'text', 'character varying', 'jsonb', 'json')",
      );
      for (const { table_name: table, column_name: column } of columns as { table_name: string; column_name: string }[]) {
        for (const row of await rowsOf(
          url,
          `select ${pg.escapeIdentifier(column)}::text as value from ${pg.escapeIdentifier(table)} where ${pg.escapeIdentifier(column)} is not null`,
        )) {
          stored.push(Buffer.from(String((row as { value: string }).value)));
        }
      }
    }
    const all = Buffer.concat(stored);
    // bytea comes back as hex text: look for each value in hex as well as in plain text.
    assert.ok(
      all.includes(Buffer.from('landlord-demo')) || all.includes(Buffer.from(Buffer.from('landlord-demo').toString('hex'))),
      'the external customer id, an identifier, is there',
    );
    for (const value of ['Tomas', 'Lena', 'landlord-demo@example.test', '@example.test', '555 0142', '555 0187', '12 Demo Street']) {
      assert.equal(all.includes(Buffer.from(value)), false, `${value} in plain text`);
      assert.equal(all.includes(Buffer.from(Buffer.from(value).toString('hex'))), false, `${value} in a bytea column`);
    }
  });

  it('finds the screenings with `temporal workflow list --query` through the profile (client certificate)', async () => {
    const { stdout } = await run(temporalCli, [
      'workflow',
      'list',
      '--config-file',
      path.join(clusterDir(), 'temporal.toml'),
      '--profile',
      CLUSTER_PROFILE,
      '--query',
      "ScreeningStatus = 'completed'",
      '--output',
      'json',
    ]);
    assert.ok((JSON.parse(stdout) as unknown[]).length >= 1, stdout);
  });

  it('refuses a client without the certificate', async () => {
    const profile = temporalProfile(path.join(clusterDir(), 'temporal.toml'), CLUSTER_PROFILE);
    const address = profile.address!;
    const tls = profile.connection.tls as { serverNameOverride: string; serverRootCACertificate: Buffer };
    const attempt = async (options: Parameters<typeof Connection.connect>[0]) => {
      const connection = await Connection.connect({ ...options, connectTimeout: 3_000 });
      try {
        await connection.withDeadline(Date.now() + 3_000, () => connection.workflowService.getSystemInfo({}));
      } finally {
        await connection.close();
      }
    };
    await assert.rejects(attempt({ address }), 'plain gRPC');
    await assert.rejects(
      attempt({ address, tls: { serverNameOverride: tls.serverNameOverride, serverRootCACertificate: tls.serverRootCACertificate } }),
      'TLS without a client certificate',
    );
    await attempt({ address, ...profile.connection });
  });

  it('restarts the workers one after the other while screenings are open: nothing lost, no e-mail twice', async () => {
    const secret = readFileSync(path.join(dataDir, 'webhook-secret'), 'utf8').trim();
    const tokens = Array.from({ length: 12 }, (_, n) => `rolling-${Date.now().toString(36)}-${n}`);
    const post = async (n: number, type: Parameters<typeof screeningEvent>[1], data: Record<string, unknown> = {}) => {
      const body = envelopeOf(screeningEvent(tokens[n]!, type), data);
      for (;;) {
        const response = await fetch(`${apis[n % 2]}/webhooks/singlekey`, { method: 'POST', ...signedRequest(body, secret) });
        if (response.status === 200) return;
        assert.equal(response.status, 503, `${type} ${tokens[n]}: ${response.status}`);
        await sleep(500);
      }
    };
    await Promise.all(tokens.map((token, n) => post(n, 'invite.sent', { landlord: { email: `landlord.${token}@example.test` } })));
    await Promise.all(tokens.map((_, n) => post(n, 'screening.submitted')));

    for (const worker of [1, 2]) {
      const pidFile = path.join(clusterDir(), `worker-${worker}.pid`);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      process.kill(pid, 'SIGTERM'); // a rolling deployment: drain, exit, the supervisor starts the new one
      if (worker === 1) await Promise.all(tokens.map((_, n) => post(n, 'screening.completed', { singlekey_score: 700 })));
      for (const deadline = Date.now() + 60_000; isAlive(pid) || Number(readFileSync(pidFile, 'utf8')) === pid; await sleep(200)) {
        assert.ok(Date.now() < deadline, `worker ${worker} was not replaced`);
      }
    }

    const deadline = Date.now() + 90_000;
    let completed = 0;
    while (completed < tokens.length && Date.now() < deadline) {
      const rows = await embeddedSql(
        postgresPort,
        "select count(*)::int as n from screenings where purchase_token like 'rolling-%' and status = 'completed'",
        [],
      );
      completed = rows.rows[0].n as number;
      await sleep(500);
    }
    assert.equal(completed, tokens.length, 'every screening completed');
    await sleep(2_000);
    const sent = new Map<string, number>();
    for (const file of readdirSync(path.join(dataDir, 'mail'))) {
      const mail = await simpleParser(readFileSync(path.join(dataDir, 'mail', file)));
      if (mail.messageId?.includes('rolling-')) sent.set(mail.messageId, (sent.get(mail.messageId) ?? 0) + 1);
    }
    const completions = [...sent.keys()].filter((id) => id.startsWith('<landlord_completed.'));
    assert.equal(completions.length, tokens.length, 'one completion e-mail per screening');
    assert.deepEqual(
      [...sent].filter(([, n]) => n > 1),
      [],
      'no e-mail twice',
    );
  });

  it('stops everything on Ctrl-C', async () => {
    const pids = ['api-1', 'api-2', 'worker-1', 'worker-2'].map((name) => Number(readFileSync(path.join(clusterDir(), `${name}.pid`), 'utf8')));
    const server = Number(readFileSync(path.join(clusterDir(), 'temporal', 'temporal-server.pid'), 'utf8').split('\n')[0]);
    assert.equal(await cluster!.stop(), 0, cluster!.output());
    for (const pid of [...pids, server]) assert.equal(isAlive(pid), false, `process ${pid} survived`);
  });
});
