import assert from 'node:assert/strict';
import { ConfigError, knownVariables, loadConfig } from '../../src/config';

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
