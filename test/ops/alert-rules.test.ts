import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../devkit/temporal-binaries';

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; runbook: string };
}

/** No promtool here: the rules file is checked for shape, metric names and runbook links. */
describe('Prometheus alert rules (ops/prometheus-alerts.yml)', () => {
  const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');
  const rules = (parse(read('ops/prometheus-alerts.yml')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((group) => group.rules);
  const readme = read('README.md');

  it('alerts on rejected signatures, 503s, a backed-up inbox, reconciliation give-ups, unknown tokens, reopened screenings, stuck screenings and notification failures', () => {
    assert.deepEqual(rules.map((rule) => rule.alert).sort(), [
      'LateDeliveriesReopenedScreenings',
      'NotificationFailures',
      'ReconciliationGaveUp',
      'ScreeningsStuckInSubmitted',
      'UnknownPurchaseTokens',
      'WebhookAuthRejectionsSpiking',
      'WebhookInboxBackingUp',
      'WebhooksAnswered503',
    ]);
  });

  it('gives every rule an expression, a duration, a severity, a summary and a runbook', () => {
    for (const rule of rules) {
      assert.ok(rule.expr.trim(), rule.alert);
      assert.match(rule.for, /^\d+[smh]$/, rule.alert);
      assert.ok(['warning', 'critical'].includes(rule.labels.severity), rule.alert);
      assert.ok(rule.annotations.summary, rule.alert);
    }
  });

  it('uses only metrics the README documents', () => {
    for (const rule of rules) {
      for (const metric of rule.expr.match(/\bscreening_[a-z_]+/g) ?? []) {
        const documented = metric.replace(/_total$/, '');
        assert.ok(readme.includes(`\`${documented}`), `${rule.alert} uses ${metric}, which the README does not list`);
      }
    }
  });

  it('links each alert to a runbook section that exists', () => {
    for (const rule of rules) {
      const anchor = rule.annotations.runbook.split('#')[1]!;
      const heading = readme.split('\n').find(
        (line) =>
          line.startsWith('#### ') &&
          line
            .slice(5)
            .toLowerCase()
            .replace(/[^a-z0-9 -]/g, '')
            .replace(/ /g, '-') === anchor,
      );
      assert.ok(heading, `no README heading for #${anchor}`);
    }
  });
});
