import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertStrongSecrets, ConfigError, knownVariables, loadConfig, MIN_SECRET_LENGTH } from '../../src/config';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { projectRoot } from '../../devkit/temporal-binaries';

describe('loadConfig', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    assert.equal(config.http.port, 3000);
    assert.equal(config.temporal.address, undefined);
    assert.equal(config.temporal.namespace, 'default');
    assert.equal(config.temporal.taskQueue, 'screenings');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.smtpUrl, undefined);
    assert.equal(config.singlekey.apiUrl, undefined);
    assert.equal(config.singlekey.toleranceSeconds, 300);
    assert.deepEqual(config.singlekey.webhookSecrets, []);
    assert.deepEqual(config.lifecycle, {
      reminderSchedule: ['24h', '72h'],
      screeningExpiry: '7d',
      completionSla: '2h',
      submittedMaxAge: '7d',
      dedupeWindow: '15h',
    });
  });

  describe("Temporal's environment configuration", () => {
    let dir: string;
    before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'envconfig-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('takes address, namespace and API key from TEMPORAL_* variables; an API key turns TLS on (Temporal Cloud)', () => {
      const config = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'key' });
      assert.equal(config.temporal.address, 'ns.acct.tmprl.cloud:7233');
      assert.equal(config.temporal.namespace, 'ns.acct');
      assert.equal(config.temporal.connection.apiKey, 'key');
      assert.equal(config.temporal.connection.tls, true);
    });

    it('reads a profile of TEMPORAL_CONFIG_FILE with mTLS files, and lets variables override it', () => {
      for (const name of ['ca.pem', 'client.pem', 'client.key']) writeFileSync(path.join(dir, name), `${name}\n`);
      const file = path.join(dir, 'temporal.toml');
      writeFileSync(
        file,
        [
          '[profile.cluster]',
          'address = "127.0.0.1:7400"',
          'namespace = "screenings"',
          '[profile.cluster.tls]',
          `client_cert_path = "${path.join(dir, 'client.pem')}"`,
          `client_key_path = "${path.join(dir, 'client.key')}"`,
          `server_ca_cert_path = "${path.join(dir, 'ca.pem')}"`,
          'server_name = "localhost"',
        ].join('\n'),
      );
      const config = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cluster', TEMPORAL_NAMESPACE: 'other' });
      assert.equal(config.temporal.address, '127.0.0.1:7400');
      assert.equal(config.temporal.namespace, 'other');
      const tls = config.temporal.connection.tls as { serverNameOverride?: string; clientCertPair?: { crt: Buffer } };
      assert.equal(tls.serverNameOverride, 'localhost');
      assert.equal(Buffer.from(tls.clientCertPair!.crt).toString(), 'client.pem\n');
    });

    it('names the setting when a certificate file cannot be read', () => {
      assert.throws(
        () =>
          loadConfig({
            TEMPORAL_ADDRESS: 'x:7233',
            TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'missing.pem'),
            TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'missing.key'),
          }),
        (error: unknown) => error instanceof ConfigError && /TEMPORAL_TLS_\*\): ENOENT/.test(error.message) && error.message.includes('missing.pem'),
      );
    });
  });

  describe('weak secrets', () => {
    const strong = 'a'.repeat(MIN_SECRET_LENGTH);

    it('refuses secrets shorter than 32 characters and published examples, naming each (never its value)', () => {
      const config = loadConfig({
        SINGLEKEY_WEBHOOK_SECRETS: `${strong},short-old-secret`,
        SINGLEKEY_HANDSHAKE_TOKEN: 'change-me-before-use',
        REPORT_LINK_SECRET: 'x'.repeat(31),
      });
      assert.throws(
        () => assertStrongSecrets(config),
        (error: unknown) =>
          error instanceof ConfigError &&
          /SINGLEKEY_WEBHOOK_SECRETS \(secret 2\): 16 characters, at least 32 required/.test(error.message) &&
          /SINGLEKEY_HANDSHAKE_TOKEN: a published example value/.test(error.message) &&
          /REPORT_LINK_SECRET: 31 characters/.test(error.message) &&
          !error.message.includes('short-old-secret'),
      );
    });

    it("refuses a platform webhook secret of fewer than 24 bytes, or the Standard Webhooks test vector's, never quoting it", () => {
      const refused = (secret: string, reason: RegExp) =>
        assert.throws(
          () => assertStrongSecrets(loadConfig({ PLATFORM_WEBHOOK_URL: 'https://platform.example.test/hooks', PLATFORM_WEBHOOK_SECRET: secret })),
          (error: unknown) => error instanceof ConfigError && reason.test(error.message) && !error.message.includes(secret),
        );
      refused(`whsec_${Buffer.alloc(16, 1).toString('base64')}`, /PLATFORM_WEBHOOK_SECRET: 16 bytes after whsec_, at least 24 required/);
      refused('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', /PLATFORM_WEBHOOK_SECRET: a published example value/);
      const strongPlatform = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
      assertStrongSecrets(loadConfig({ PLATFORM_WEBHOOK_URL: 'https://platform.example.test/hooks', PLATFORM_WEBHOOK_SECRET: strongPlatform }));
    });

    it('accepts strong secrets and unset ones', () => {
      assertStrongSecrets(loadConfig({ SINGLEKEY_WEBHOOK_SECRETS: strong, REPORT_LINK_SECRET: `${strong}b` }));
      assertStrongSecrets(loadConfig({}));
    });

    it('stops `npm run api` before it serves anything (exit 2)', async () => {
      const run = promisify(execFile);
      const failed = await run(process.execPath, ['--import', 'tsx', 'cli/api.ts'], {
        cwd: projectRoot,
        env: { PATH: process.env.PATH, SINGLEKEY_WEBHOOK_SECRETS: 'change-me-before-use', REPORT_LINK_SECRET: strong, TEMPORAL_ADDRESS: '127.0.0.1:9' },
      }).then(
        () => assert.fail('npm run api started with a published secret'),
        (error: { code?: number; stderr?: string }) => error,
      );
      assert.equal(failed.code, 2);
      assert.match(failed.stderr ?? '', /SINGLEKEY_WEBHOOK_SECRETS \(secret 1\): a published example value/);
    });
  });

  describe('status webhooks to the platform', () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

    it('are off unless PLATFORM_WEBHOOK_URL is set, and read the URL and its secret when it is', () => {
      assert.deepEqual(loadConfig({}).platformWebhook, { url: undefined, secret: undefined });
      const config = loadConfig({ PLATFORM_WEBHOOK_URL: 'https://platform.example.test/hooks', PLATFORM_WEBHOOK_SECRET: secret });
      assert.deepEqual(config.platformWebhook, { url: 'https://platform.example.test/hooks', secret });
    });

    it('refuses a URL without its secret, a secret not written whsec_<base64>, and a URL that is not http(s), naming each (never the secret)', () => {
      const refused = (env: Record<string, string>, reason: RegExp) =>
        assert.throws(
          () => loadConfig(env),
          (error: unknown) => error instanceof ConfigError && reason.test(error.message) && !error.message.includes('not-base64'),
        );
      refused({ PLATFORM_WEBHOOK_URL: 'https://platform.example.test/hooks' }, /PLATFORM_WEBHOOK_SECRET: required when PLATFORM_WEBHOOK_URL is set/);
      refused({ PLATFORM_WEBHOOK_URL: 'https://p.example.test', PLATFORM_WEBHOOK_SECRET: 'whsec_not-base64!' }, /PLATFORM_WEBHOOK_SECRET: expected whsec_/);
      refused(
        { PLATFORM_WEBHOOK_URL: 'https://p.example.test', PLATFORM_WEBHOOK_SECRET: Buffer.alloc(32).toString('base64') },
        /PLATFORM_WEBHOOK_SECRET: expected whsec_/,
      );
      refused(
        { PLATFORM_WEBHOOK_URL: 'ftp://platform.example.test', PLATFORM_WEBHOOK_SECRET: secret },
        /PLATFORM_WEBHOOK_URL: expected a URL starting with http:\/\/ or https:\/\//,
      );
    });
  });

  it('reads webhook secrets as a comma-separated list, newest first, ignoring blanks', () => {
    const config = loadConfig({ SINGLEKEY_WEBHOOK_SECRETS: ' new , old,, ' });
    assert.deepEqual(config.singlekey.webhookSecrets, ['new', 'old']);
  });

  it('accepts every duration spelling Temporal accepts', () => {
    const config = loadConfig({ REMINDER_SCHEDULE: '90s, 2 hours,1d', SCREENING_EXPIRY: '7 days', COMPLETION_SLA: '1500ms' });
    assert.deepEqual(config.lifecycle.reminderSchedule, ['90s', '2 hours', '1d']);
    assert.equal(config.lifecycle.screeningExpiry, '7 days');
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ TEMPORAL_ADDRESS: '', DATABASE_URL: '' }).databaseUrl, undefined);
  });

  it('names every bad variable in one error', () => {
    assert.throws(
      () =>
        loadConfig({
          PORT: 'eighty',
          DATABASE_URL: 'mysql://db/screenings',
          SMTP_URL: 'http://mail',
          REMINDER_SCHEDULE: '24h,soon',
          COMPLETION_SLA: '-5m',
          WEBHOOK_TOLERANCE_SECONDS: '0',
          ALERT_EMAIL: 'not-an-address',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const named = error.problems.map((problem) => problem.split(':')[0]).sort();
        assert.deepEqual(named, ['ALERT_EMAIL', 'COMPLETION_SLA', 'DATABASE_URL', 'PORT', 'REMINDER_SCHEDULE', 'SMTP_URL', 'WEBHOOK_TOLERANCE_SECONDS']);
        assert.match(error.message, /PORT: .*\(got "eighty"\)/);
        return true;
      },
    );
  });

  it('lists every variable it understands', () => {
    for (const name of ['PORT', 'TEMPORAL_ADDRESS', 'DATABASE_URL', 'SMTP_URL', 'SINGLEKEY_WEBHOOK_SECRETS', 'DEDUPE_WINDOW']) {
      assert.ok(knownVariables.includes(name), name);
    }
  });
});
