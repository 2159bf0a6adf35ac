import { activityInfo, Context, log, metricMeter } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { msToNumber } from '@temporalio/common';
import { isErased, screeningsEndedBefore } from '../src/db/erasure';
import { eraseScreening } from '../src/temporal/erase-screening';
import { ApplicationFailure } from '@temporalio/common';
import type { Transporter } from 'nodemailer';
import type { Db } from '../src/db/connection';
import { readModelStatus, recordScreening } from '../src/db/read-model';
import { signReportLink } from '../src/reports/report-link';
import type { SingleKeyClient } from '../src/singlekey/client';
import { type Effect, failureTypes, type LandlordMilestone, type ScreeningSnapshot } from '../workflows/messages';
import { landlordMail, teamAlertMail, tenantReminderMail } from './mail-templates';
import { deliverStatusWebhook, type PlatformWebhookDeps, type PlatformWebhookOutcome, type StatusWebhookInput } from './platform-webhook';
import { type SendOutcome, sendOnce } from './send-once';
import { screeningRequestActivities } from './screening-request';
import type { ScreeningSignaler } from '../src/temporal/screening-signaler';

export type { PlatformWebhookOutcome, SendOutcome, StatusWebhookInput };

export interface ActivityDeps {
  db: Db;
  mailer: Transporter;
  mail: { from: string; alertEmail: string };
  singlekey: SingleKeyClient;
  /** Deletes erased screenings' workflow runs (the retention clean-up); without it that activity fails. */
  client?: Client;
  /** Starts a requested screening's workflow (`POST /screenings`); without it that activity fails. */
  signaler?: ScreeningSignaler;
  /** Where the landlord's completion e-mail points for the archived PDF. */
  reportLinks: { publicBaseUrl: string; secret: string; ttlMs: number };
  /** Where status webhooks go (PLATFORM_WEBHOOK_URL, _SECRET; `publicBaseUrl` makes their `screening_url`); unset: `notifyPlatform` answers `not_configured`. */
  platformWebhook?: PlatformWebhookDeps['platformWebhook'];
}

/** Builds the activities with their dependencies, so tests can pass real or fake ones. */
export function createActivities({ db, mailer, mail, singlekey, reportLinks, client, signaler, platformWebhook }: ActivityDeps) {
  const sender = { db, mailer, from: mail.from };

  async function landlordEmail(s: ScreeningSnapshot): Promise<string | undefined> {
    if (s.landlord?.email) return s.landlord.email;
    if (!s.externalCustomerId) return undefined;
    const row = await db('landlords').where({ external_customer_id: s.externalCustomerId }).first('email');
    return row?.email as string | undefined;
  }

  /** Sends through the ledger, counting each outcome (`sent`, `skipped_no_recipient`, `retry`, `failed`). */
  async function send(mailToSend: Parameters<typeof sendOnce>[1]): Promise<SendOutcome> {
    const counter = metricMeter.createCounter('screening_notifications', 'notifications', 'E-mails by kind and outcome');
    const kind = mailToSend.kind.replace(/_\d+$/, '');
    try {
      const outcome = await sendOnce(sender, mailToSend);
      counter.add(1, { kind, outcome: outcome.outcome });
      if (outcome.outcome === 'skipped_no_recipient') log.warn('e-mail skipped: no recipient known yet', { kind: mailToSend.kind });
      return outcome;
    } catch (error) {
      counter.add(1, { kind, outcome: error instanceof ApplicationFailure && error.nonRetryable ? 'failed' : 'retry' });
      throw error;
    }
  }

  /**
   * SingleKey's finished report for a token; not finished yet is a retryable `ReportNotReady`. Gives
   * up for good once SingleKey has answered 404 on `UNKNOWN_TOKEN_ATTEMPTS` attempts: a validly
   * signed delivery for a token SingleKey does not know would otherwise cost about 50 calls over
   * 24 h. Each such token is logged and counted.
   */
  async function readyReport(purchaseToken: string) {
    let report;
    try {
      report = await singlekey.getReport(purchaseToken);
    } catch (error) {
      if (!(error instanceof ApplicationFailure) || error.type !== failureTypes.unknownPurchaseToken) throw error;
      if (activityInfo().attempt < UNKNOWN_TOKEN_ATTEMPTS) throw error;
      metricMeter.createCounter('screening_unknown_tokens', 'tokens', 'Purchase tokens SingleKey does not know, given up on').add(1);
      log.warn('SingleKey does not know this purchase token; giving up', { attempts: activityInfo().attempt });
      throw ApplicationFailure.create({ type: failureTypes.unknownPurchaseToken, nonRetryable: true, message: error.message, cause: error });
    }
    if (!report.ready) throw ApplicationFailure.create({ type: failureTypes.reportNotReady, message: `report not ready: ${report.detail}` });
    return report;
  }

  return countFailures({
    ...screeningRequestActivities({ db, singlekey, signaler }),

    /**
     * One batch of the retention clean-up: the screenings that ended longer than `retention` ago
     * lose their workflow runs in Temporal and their personal data in PostgreSQL, as `npm run erase`
     * does for one. Returns the purchase tokens it erased.
     */
    async eraseEndedScreenings(input: { retention: string; limit: number }): Promise<{ erased: number; failed: number }> {
      if (!client) throw ApplicationFailure.create({ type: 'CleanupUnavailable', nonRetryable: true, message: 'this worker has no Temporal client' });
      const tokens = await screeningsEndedBefore(db, new Date(Date.now() - msToNumber(input.retention)), input.limit);
      let erased = 0;
      for (const token of tokens) {
        Context.current().heartbeat(token);
        try {
          // Long ended: no activity of it can still be under way, so no settling pause.
          await eraseScreening(db, client, token, 0);
          erased += 1;
        } catch (error) {
          // One screening that cannot be erased (Temporal refusing the delete) must not hold back the others.
          log.error('could not erase a screening after retention', { purchaseToken: token, error: (error as Error).message });
        }
      }
      if (tokens.length > 0) log.info('personal data erased after retention', { screenings: erased, failed: tokens.length - erased });
      return { erased, failed: tokens.length - erased };
    },

    /** Upserts the read model; a snapshot older than the stored one (smaller version) is ignored. */
    async recordScreening(s: ScreeningSnapshot): Promise<void> {
      await recordScreening(db, s);
    },

    async notifyLandlord(input: { milestone: LandlordMilestone; screening: ScreeningSnapshot }): Promise<SendOutcome> {
      const { screening } = input;
      const reportLink =
        input.milestone === 'completed'
          ? signReportLink({
              baseUrl: reportLinks.publicBaseUrl,
              purchaseToken: screening.purchaseToken,
              secret: reportLinks.secret,
              expiresAt: new Date(Date.now() + reportLinks.ttlMs),
            })
          : undefined;
      return send({
        purchaseToken: screening.purchaseToken,
        kind: `landlord_${input.milestone}`,
        to: await landlordEmail(screening),
        content: landlordMail(input.milestone, screening, reportLink),
      });
    },

    async remindTenant(input: { index: number; screening: ScreeningSnapshot }): Promise<SendOutcome> {
      // The machine stops reminders once the tenant is past the invitation; checked again here, at
      // send time, because the read model may know that before the snapshot this attempt was given.
      const current = await readModelStatus(db, input.screening.purchaseToken);
      if (current !== undefined && current !== 'invited') return { outcome: 'not_needed' };
      return send({
        purchaseToken: input.screening.purchaseToken,
        kind: `tenant_reminder_${input.index}`,
        to: input.screening.tenant?.email,
        content: tenantReminderMail(input.index, input.screening),
      });
    },

    async alertTeam(input: { reason: string; screening: ScreeningSnapshot }): Promise<SendOutcome> {
      return send({
        purchaseToken: input.screening.purchaseToken,
        kind: `team_${input.reason}`,
        to: mail.alertEmail,
        content: teamAlertMail(input.reason, input.screening),
      });
    },

    /**
     * Tells the platform of one status change with a signed status webhook, once per (screening,
     * status) (see platform-webhook.ts), counting each outcome (`sent`, `not_configured`,
     * `not_needed`, `retry`, `failed`).
     */
    async notifyPlatform(input: StatusWebhookInput): Promise<PlatformWebhookOutcome> {
      const counter = metricMeter.createCounter('screening_platform_webhooks', 'webhooks', 'Status webhooks to the platform by status and outcome');
      try {
        const outcome = await deliverStatusWebhook({ db, platformWebhook }, input);
        counter.add(1, { status: input.status, outcome: outcome.outcome });
        return outcome;
      } catch (error) {
        counter.add(1, { status: input.status, outcome: error instanceof ApplicationFailure && error.nonRetryable ? 'failed' : 'retry' });
        throw error;
      }
    },

    /** Archives SingleKey's report JSON and, for the full report, its PDF (SingleKey's links expire after five days). */
    async fetchReport(input: {
      purchaseToken: string;
      scope: Extract<Effect, { kind: 'fetch_report' }>['scope'];
    }): Promise<{ score?: number; pdfBytes?: number }> {
      const report = await readyReport(input.purchaseToken);
      // Erased while the run was still going: nothing is archived again (the score still answers the machine).
      if (await isErased(db, input.purchaseToken)) return { score: report.score };
      const key = { purchase_token: input.purchaseToken, scope: input.scope };
      await db('reports')
        .insert({ ...key, report_json: JSON.stringify(report.body), fetched_at: db.fn.now() })
        .onConflict(['purchase_token', 'scope'])
        .merge(['report_json', 'fetched_at']);
      if (input.scope === 'partial') return { score: report.score };
      if (!report.pdfReady) throw ApplicationFailure.create({ type: failureTypes.reportNotReady, message: 'report PDF not ready yet' });
      const pdf = await singlekey.getReportPdf(input.purchaseToken);
      await db('reports').where(key).update({ pdf, pdf_fetched_at: db.fn.now() });
      return { score: report.score, pdfBytes: pdf.length };
    },

    /** Reconciliation: asks SingleKey whether the report is ready; not ready is a retryable failure. */
    async checkReport(input: { purchaseToken: string }): Promise<{ score?: number; reportUrl?: string }> {
      const report = await readyReport(input.purchaseToken);
      return { score: report.score, reportUrl: report.reportUrl };
    },
  });
}

/** How many 404s from SingleKey's report API make a purchase token unknown for good. */
export const UNKNOWN_TOKEN_ATTEMPTS = 3;

/** Counts every activity failure by activity and failure type (each retry counts). */
function countFailures<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (error) {
        const type = error instanceof ApplicationFailure ? (error.type ?? 'ApplicationFailure') : (error as Error).name;
        metricMeter.createCounter('screening_activity_failures', 'failures', 'Activity failures by activity and type').add(1, { activity: name, type });
        throw error;
      }
    };
  }
  return wrapped as T;
}

export type Activities = ReturnType<typeof createActivities>;
