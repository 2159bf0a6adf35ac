import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { freeServicePorts, type ServicePorts, type ServiceProcess, startServiceProcess, stopServiceAndLeftovers } from '../../devkit/embedded/service-process';
import { scenarioNames, scenarios } from '../../devkit/stand-in/scenarios';
import { projectRoot } from '../../devkit/temporal-binaries';
import { embeddedSql } from '../support/embedded-sql';
import { testEnvironment } from '../support/environment';

/**
 * `npm run simulate` against the service as `npm start` runs it, with its own SingleKey stand-in
 * (SINGLEKEY_API_URL unset) and seconds-long lifecycle durations, as the README's walkthrough does.
 * Every scenario must end in the state the scenario (and the README's table) promises, seen by the
 * simulator through the `status` query and independently in the read model.
 */
describe('npm run simulate against the started service (end to end)', function () {
  this.timeout(240_000);

  let dataDir: string;
  let ports: ServicePorts;
  let service: ServiceProcess | undefined;
  const speed = '300'; // one SingleKey minute = 0.2 s

  before(async () => {
    dataDir = path.join(testEnvironment().root, 'simulate-data');
    ports = await freeServicePorts();
    service = await startServiceProcess({
      dataDir,
      ports,
      baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
      env: { REMINDER_SCHEDULE: '2s,4s', SCREENING_EXPIRY: '7s', COMPLETION_SLA: '3s' },
    });
  });

  after(() => stopServiceAndLeftovers(service, dataDir));

  /** Runs a command line of the project the way a user in another terminal would, with the service's settings. */
  function runScript(script: string, args: string[]): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', script, ...args],
        {
          cwd: projectRoot,
          timeout: 120_000,
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            LOG_LEVEL: 'warn',
            DATA_DIR: dataDir,
            PORT: String(ports.api),
            EMBEDDED_TEMPORAL_PORT: String(ports.temporal),
            EMBEDDED_TEMPORAL_UI_PORT: String(ports.ui),
            EMBEDDED_POSTGRES_PORT: String(ports.postgres),
            EMBEDDED_SINGLEKEY_PORT: String(ports.singlekey),
          },
        },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
    });
  }

  const simulate = (...args: string[]) => runScript('cli/simulate.ts', [...args, '--speed', speed, '--wait', '60']);
  const tokenIn = (output: string) => /purchase token ([0-9a-f]{32})/.exec(output)?.[1] ?? assert.fail(`no purchase token in:\n${output}`);

  async function readModelStatus(token: string): Promise<string | undefined> {
    return (await embeddedSql(ports.postgres, 'select status from screenings where purchase_token = $1', [token])).rows[0]?.status;
  }

  /** What else each scenario's output must show, beyond the end state. */
  const checks: Record<string, (output: string) => void> = {
    happy: (output) => {
      // One verified status webhook per status, in the order reached (`requested` only if it came before SingleKey's invitation).
      const sent = [...output.matchAll(/^ {2}(requested|invited|form_opened|submitted|completed) +scr_\S+ +verified +204$/gm)].map((m) => m[1]);
      assert.deepEqual(
        sent.filter((status) => status !== 'requested'),
        ['invited', 'form_opened', 'submitted', 'completed'],
        output,
      );
    },
    duplicates: (output) => assert.match(output, /duplicates ignored +8\n/),
    'out-of-order': (output) => {
      // After the platform's request (the simulator asks through POST /screenings), SingleKey's completion came first.
      assert.match(output, /timeline[^\n]*\n +screening\.requested[^\n]*\n +screening\.completed/, 'the completion was applied first');
      assert.match(output, /effects superseded +notify_landlord:submitted/);
    },
    'missed-completion': (output) => {
      assert.doesNotMatch(output, /screening\.completed +\d/);
      assert.match(output, /screening\.reconciled/);
    },
    abandoned: (output) => assert.match(output, /reminders sent +2\n/),
    outage: (output) => {
      assert.match(output, /invite\.sent +1 +503 .*retry in 1 min/);
      assert.match(output, /invite\.sent +2 +503 .*retry in 5 min/);
      assert.match(output, /invite\.sent +3 +200 .*queued +delivered/);
    },
    'recoverable-failure': (output) => assert.match(output, /failure +credit_bureau_unavailable \(recoverable\)/),
  };

  for (const name of scenarioNames) {
    const expected = scenarios[name]!.expectedStatus;
    it(`${name} ends ${expected}`, async () => {
      const { code, output } = await simulate(name);
      assert.equal(code, 0, output);
      assert.match(output, new RegExp(`status +${expected} +\\(expected ${expected}: yes\\)`));
      assert.equal(await readModelStatus(tokenIn(output)), expected);
      // What the stand-in, as the platform, received for the screening: every one verified, if any came.
      assert.match(output, /Status webhooks the platform received/);
      assert.doesNotMatch(output, /NOT VERIFIED/);
      checks[name]?.(output);
    });
  }

  it('npm start points the status webhooks at its stand-in, signed with a development secret kept in DATA_DIR', () => {
    assert.match(service!.output(), new RegExp(`Status webhooks +http://127\\.0\\.0\\.1:${ports.singlekey}/platform-webhooks `));
    assert.match(readFileSync(path.join(dataDir, 'platform-webhook-secret'), 'utf8'), /^whsec_[A-Za-z0-9+/]{32}\n$/);
  });

  it('happy: the landlord gets the report e-mail in the mail folder', async () => {
    const { code, output } = await simulate('happy');
    assert.equal(code, 0, output);
    const token = tokenIn(output);
    const mails: string[] = [];
    for (const file of readdirSync(path.join(dataDir, 'mail'))) {
      const mail = await simpleParser(readFileSync(path.join(dataDir, 'mail', file)));
      const to = (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((address) => address?.value.map((v) => v.address) ?? []);
      if (mail.text?.includes(token)) mails.push(`${to.join(', ')}: ${mail.subject}`);
    }
    assert.deepEqual(mails.sort(), [
      'landlord-demo@example.test: Application submitted: Tomas Tenant',
      'landlord-demo@example.test: Screening report ready: Tomas Tenant',
    ]);
  });

  it('happy in the flat layout ends completed', async () => {
    const { code, output } = await simulate('happy', '--format', 'flat');
    assert.equal(code, 0, output);
    assert.match(output, /status +completed +\(expected completed: yes\)/);
  });

  it('the partner-portal format: e-mails wait for a recipient, and go out once the landlord directory knows the customer', async () => {
    const unknown = await simulate('duplicates', '--format', 'portal');
    assert.equal(unknown.code, 0, unknown.output);
    assert.match(unknown.output, /duplicates ignored +6\n/);
    assert.match(unknown.output, /effects waiting +notify_landlord:completed\n/);
    // The outcome was known before anyone could be told of the submission: that e-mail became pointless.
    assert.match(unknown.output, /effects superseded +notify_landlord:submitted\n/);

    // `npm run landlords` next to the running service uses its PostgreSQL rather than stopping it.
    const registered = await runScript('cli/landlords.ts', ['set', 'landlord-demo', 'landlord-demo@example.test']);
    assert.equal(registered.code, 0, registered.output);
    const known = await simulate('happy', '--format', 'portal');
    assert.equal(known.code, 0, known.output);
    assert.match(known.output, /effects done +[^\n]*notify_landlord:completed/);
    assert.equal(await readModelStatus(tokenIn(known.output)), 'completed');
  });

  it("leaves none of the tenant's or landlord's names, e-mails, phone numbers or address readable in Temporal's database", async () => {
    // Every scenario above has run: the dev server's SQLite file and its write-ahead log hold their histories.
    const folder = path.join(dataDir, 'temporal');
    const files = readdirSync(folder).filter((file) => file.startsWith('temporal.sqlite'));
    const bytes = Buffer.concat(files.map((file) => readFileSync(path.join(folder, file))));
    assert.ok(bytes.length > 100_000, `${files.join(', ')}: ${bytes.length} bytes`);
    // A token of this run is there (the search is looking at the right data) ...
    assert.ok(bytes.includes(Buffer.from('landlord-demo')), 'the external customer id, an identifier, is there');
    // ... and no personal value (payloads are stored as protobuf bytes: a clear-text value would show as is).
    for (const value of ['Tomas', 'Lena', 'landlord-demo@example.test', '@example.test', '555 0142', '555 0187', '12 Demo Street']) {
      assert.equal(bytes.includes(Buffer.from(value)), false, `${value} is readable in Temporal's database`);
    }
  });

  it('refuses a scenario its format cannot tell, naming the reason (exit 2)', async () => {
    const { code, output } = await runScript('cli/simulate.ts', ['failed', '--format', 'portal']);
    assert.equal(code, 2);
    assert.match(output, /partner-portal format has no failure event/);
  });

  it('says where to find a stand-in when none answers (exit 2)', async () => {
    const { code, output } = await runScript('cli/simulate.ts', ['happy', '--singlekey', 'http://127.0.0.1:9']);
    assert.equal(code, 2);
    assert.match(output, /No SingleKey stand-in answers at http:\/\/127\.0\.0\.1:9 .*npm start/);
  });
});
