import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { loadConfig } from '../../src/config';
import { isAlive } from '../../devkit/embedded/managed-process';
import { freeServicePorts, type ServicePorts, type ServiceProcess, startServiceProcess, stopServiceAndLeftovers } from '../../devkit/embedded/service-process';
import { requireBinary } from '../../devkit/temporal-binaries';
import { deliver, envelope, signedDelivery, uniqueToken } from '../../devkit/builders';
import { type SingleKeyStandIn, startSingleKeyStandIn } from '../../devkit/stand-in/server';
import { embeddedSql } from '../support/embedded-sql';
import { workflowIdFor } from '../../workflows/messages';
import { testEnvironment } from '../support/environment';

const run = promisify(execFile);

/**
 * The service as a user starts it: `cli/start.ts` with nothing configured, so it brings up its own
 * Temporal dev server, PostgreSQL and mail sink. A delivery signed with openssl (as the README shows
 * with curl) must reach the workflow and the read model; Ctrl-C must leave no process behind, and a
 * second start must find the data again.
 */
describe('the service on embedded defaults (end to end)', function () {
  this.timeout(180_000);

  const temporalCli = requireBinary('cli', loadConfig({ PATH: process.env.PATH }));
  let dataDir: string;
  let ports: ServicePorts;
  let service: ServiceProcess | undefined;
  let singlekey: SingleKeyStandIn;

  before(async () => {
    dataDir = path.join(testEnvironment().root, 'e2e-data');
    ports = await freeServicePorts();
    singlekey = await startSingleKeyStandIn();
  });

  after(() => singlekey.close());

  // Also when a test failed half-way: stop the service as Ctrl-C would (SIGKILL only if it hangs),
  // then end whatever a killed service could have left behind.
  afterEach(async () => {
    await stopServiceAndLeftovers(service, dataDir);
    service = undefined;
  });

  async function start(): Promise<ServiceProcess> {
    service = await startServiceProcess({
      dataDir,
      ports,
      // Only what a newcomer's shell would have: none of TEMPORAL_ADDRESS, DATABASE_URL, SMTP_URL.
      baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
      env: {
        PUBLIC_BASE_URL: `http://127.0.0.1:${ports.api}`,
        // SingleKey itself is the one thing faked: a local stand-in for its report API.
        SINGLEKEY_API_URL: singlekey.url,
        SINGLEKEY_API_TOKEN: singlekey.token,
      },
    });
    return service;
  }

  function temporal(...args: string[]) {
    return run(temporalCli, [...args, '--address', `127.0.0.1:${ports.temporal}`, '--output', 'json']);
  }

  const sql = (text: string, params: unknown[]) => embeddedSql(ports.postgres, text, params);
  const webhookUrl = () => `http://127.0.0.1:${ports.api}/webhooks/singlekey`;
  const webhookSecret = () => readFileSync(path.join(dataDir, 'webhook-secret'), 'utf8').trim();

  /** The read model's row for a screening, once the worker has written it (10 s at most). */
  async function screeningRow(token: string): Promise<{ status: string; external_customer_id: string } | undefined> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const [row] = (await sql('select status, external_customer_id from screenings where purchase_token = $1', [token])).rows;
      if (row) return row;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return undefined;
  }

  it('accepts a delivery signed with openssl, starts the workflow and records the screening', async () => {
    const running = await start();
    const token = uniqueToken('pt_e2e');
    const workflowId = workflowIdFor(token);
    const body = JSON.stringify(envelope('invite.sent', { purchase_token: token, external_customer_id: 'landlord-e2e', external_tenant_id: 'tenant-e2e' }));
    // Signed and sent as the README shows it with openssl and curl, not with the test's own signer.
    const { stdout } = await run('sh', ['-c', 'printf %s "$BODY" | openssl dgst -sha256 -hmac "$SECRET"'], {
      env: { ...process.env, BODY: body, SECRET: webhookSecret() },
    });
    const signature = stdout.trim().split(' ').pop()!;
    const response = await deliver(webhookUrl(), {
      body,
      headers: {
        'Content-Type': 'application/json',
        'X-SingleKey-Signature': signature,
        'X-SingleKey-Timestamp': String(Math.floor(Date.now() / 1000)),
      },
    });
    assert.equal(response.status, 200);

    const description = JSON.parse((await temporal('workflow', 'describe', '--workflow-id', workflowId)).stdout);
    assert.equal(description.workflowExecutionInfo.status, 'WORKFLOW_EXECUTION_STATUS_RUNNING');
    assert.equal(description.workflowExecutionInfo.type.name, 'screeningWorkflow');

    assert.deepEqual(await screeningRow(token), { status: 'invited', external_customer_id: 'landlord-e2e' });

    const listed = (await temporal('workflow', 'list', '--query', `ScreeningStatus="invited" AND ExternalCustomerId="landlord-e2e"`)).stdout;
    assert.match(listed, new RegExp(workflowId));

    const helperPids = ['temporal/temporal.pid', 'postgres/postgres.pid'].map((file) => Number(readFileSync(path.join(dataDir, file), 'utf8').split('\n')[0]));
    assert.equal(await running.stop(), 0);
    for (const pid of helperPids) assert.equal(isAlive(pid), false, `helper process ${pid} still running after Ctrl-C`);
  });

  it('finds the same screening again after a restart', async () => {
    const first = await start();
    const token = uniqueToken('pt_e2e_restart');
    const delivery = signedDelivery('invite.sent', { purchase_token: token, external_customer_id: 'landlord-e2e' }, webhookSecret());
    assert.equal((await deliver(webhookUrl(), delivery)).status, 200);
    assert.equal((await screeningRow(token))?.status, 'invited');
    assert.equal(await first.stop(), 0);

    const second = await start();
    const description = JSON.parse((await temporal('workflow', 'describe', '--workflow-id', workflowIdFor(token))).stdout);
    assert.equal(description.workflowExecutionInfo.status, 'WORKFLOW_EXECUTION_STATUS_RUNNING');
    assert.equal((await screeningRow(token))?.status, 'invited');
    assert.equal(await second.stop(), 0);
  });

  it('completes a lifecycle sent out of order with duplicates, with exactly one landlord completion e-mail', async () => {
    const running = await start();
    const secret = webhookSecret();
    const lifecycleToken = uniqueToken('pt_e2e_lifecycle');
    singlekey.ready(lifecycleToken, 728);
    const data = { purchase_token: lifecycleToken, external_customer_id: 'landlord-e2e', external_tenant_id: 'tenant-e2e' };
    const deliveries = {
      invite: signedDelivery('invite.sent', { ...data, landlord: { email: 'landlord-e2e@example.test' } }, secret, { webhookId: 'wh_l1' }),
      opened: signedDelivery('form.opened', data, secret, { webhookId: 'wh_l2' }),
      submitted: signedDelivery('screening.submitted', data, secret, { webhookId: 'wh_l3' }),
      completed: signedDelivery('screening.completed', { ...data, result: { singlekey_score: 728, recommendation: 'approved' } }, secret, {
        webhookId: 'wh_l4',
      }),
    };
    const order = [
      deliveries.completed,
      deliveries.submitted,
      deliveries.completed,
      deliveries.invite,
      deliveries.opened,
      deliveries.submitted,
      deliveries.completed,
    ];
    for (const delivery of order) {
      assert.equal((await deliver(webhookUrl(), delivery)).status, 200);
    }
    const id = workflowIdFor(lifecycleToken);
    // The CLI prints empty lists as null.
    let view: { status: string; duplicatesIgnored: number; effects: { pending: string[] | null } } | undefined;
    for (let attempt = 0; attempt < 100; attempt += 1) {
      // Payloads are encrypted in Temporal: the CLI reads them through the service's codec server.
      const codec = ['--codec-endpoint', `http://127.0.0.1:${ports.api}/codec`];
      view = JSON.parse((await temporal('workflow', 'query', '--workflow-id', id, '--type', 'status', ...codec)).stdout).queryResult[0];
      if (view?.duplicatesIgnored === 3 && !view.effects.pending?.length) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(view?.status, 'completed');
    const withoutCodec = (await temporal('workflow', 'show', '--workflow-id', id)).stdout;
    assert.match(withoutCodec, /YmluYXJ5L2VuY3J5cHRlZA==|binary\/encrypted/, 'without the codec server the history holds ciphertext');
    assert.doesNotMatch(withoutCodec, /landlord-e2e@example\.test/);
    assert.match((await temporal('workflow', 'list', '--query', `ScreeningStatus="completed" AND WorkflowId="${id}"`)).stdout, new RegExp(id));
    const { rows } = await sql(
      'select status, singlekey_score, submitted_at is not null and completed_at is not null as timed from screenings where purchase_token = $1',
      [lifecycleToken],
    );
    assert.deepEqual(rows, [{ status: 'completed', singlekey_score: 728, timed: true }]);
    const ledger = await sql('select kind, status from notifications where purchase_token = $1 order by kind', [lifecycleToken]);
    assert.deepEqual(ledger.rows, [{ kind: 'landlord_completed', status: 'sent' }]);
    const reports = await sql("select pdf from reports where purchase_token = $1 and scope = 'full' and pdf is not null", [lifecycleToken]);
    assert.equal(reports.rowCount, 1);
    const archivedPdf = reports.rows[0].pdf as Buffer;
    const logged = await sql('select outcome, repeats from delivery_log where purchase_token = $1 order by dedupe_key', [lifecycleToken]);
    assert.deepEqual(logged.rows, [
      { outcome: 'applied', repeats: 0 },
      { outcome: 'applied', repeats: 0 },
      { outcome: 'applied', repeats: 1 },
      { outcome: 'applied', repeats: 2 },
    ]);
    const mailFolder = path.join(dataDir, 'mail');
    const completionMails = [];
    for (const file of readdirSync(mailFolder)) {
      const mail = await simpleParser(readFileSync(path.join(mailFolder, file)));
      if (mail.subject?.startsWith('Screening report ready') && mail.text?.includes(lifecycleToken)) completionMails.push(mail);
    }
    assert.equal(completionMails.length, 1);
    const link = /Download the report \(PDF\): (\S+)/.exec(completionMails[0]!.text ?? '')?.[1];
    assert.ok(link, completionMails[0]!.text);
    const download = await fetch(link);
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), archivedPdf);

    // The metrics moved as documented (counters are per process: this one saw only this lifecycle).
    const metrics = await (await fetch(`http://127.0.0.1:${ports.api}/metrics`)).text();
    const value = (name: string, labels: Record<string, string>) =>
      metrics
        .split('\n')
        .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([key, v]) => line.includes(`${key}="${v}"`)))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    // Through the inbox (WEBHOOK_INBOX=always): every receipt `queued`, the workflow dropping the repeats.
    assert.equal(value('screening_webhook_deliveries_total', { event: 'screening.completed' }), 3);
    assert.equal(value('screening_webhook_deliveries_total', { event: 'screening.submitted' }), 2);
    assert.equal(value('screening_webhook_deliveries_total', { outcome: 'accepted' }), 0);
    assert.equal(value('screening_transitions_total', { status: 'completed' }), 1);
    assert.equal(value('screening_notifications_total', { kind: 'landlord_completed', outcome: 'sent' }), 1);
    assert.ok(value('screening_singlekey_calls_total', { endpoint: 'report_pdf', status: '200' }) >= 1);
    assert.ok(value('screening_screenings', { status: 'completed' }) >= 1);
    assert.ok(value('screening_webhook_signal_duration_seconds_count', { outcome: 'signalled' }) >= 7);
    assert.equal(await running.stop(), 0);
  });
});
