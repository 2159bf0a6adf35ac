import { ApplicationFailure } from '@temporalio/common';
import type { Transporter } from 'nodemailer';
import type { Db } from '../src/db';
import type { SingleKeyClient } from '../src/singlekey/client';
import type { ScreeningSnapshot } from '../workflows/messages';
import { type MailContent, landlordMail, teamAlertMail, tenantReminderMail } from './mail-templates';

export interface ActivityDeps {
  db: Db;
  mailer: Transporter;
  mail: { from: string; alertEmail: string };
  singlekey: SingleKeyClient;
}

export type SendOutcome = { outcome: 'sent'; messageId: string } | { outcome: 'skipped_no_recipient' };

/** Thrown while SingleKey's report is still being prepared; retried by the activity's policy. */
export const REPORT_NOT_READY = 'ReportNotReady';

/** Builds the activities with their dependencies, so tests can pass real or fake ones. */
export function createActivities({ db, mailer, mail, singlekey }: ActivityDeps) {
  async function send(to: string | undefined, content: MailContent): Promise<SendOutcome> {
    if (!to) return { outcome: 'skipped_no_recipient' };
    const info = await mailer.sendMail({ from: mail.from, to, ...content });
    return { outcome: 'sent', messageId: info.messageId };
  }

  return {
    /** Upserts the read model; a snapshot older than the stored one (smaller version) is ignored. */
    async recordScreening(s: ScreeningSnapshot): Promise<void> {
      const row = {
        purchase_token: s.purchaseToken,
        status: s.status,
        version: s.version,
        external_customer_id: s.externalCustomerId ?? null,
        external_tenant_id: s.externalTenantId ?? null,
        external_deal_id: s.externalDealId ?? null,
        external_listing_id: s.externalListingId ?? null,
        singlekey_score: s.score ?? null,
        recommendation: s.recommendation ?? null,
        tenant_email: s.tenant?.email ?? null,
        landlord_email: s.landlord?.email ?? null,
        invited_at: s.moments.invited ?? null,
        form_opened_at: s.moments.formOpened ?? null,
        submitted_at: s.moments.submitted ?? null,
        completed_at: s.moments.completed ?? null,
        failed_at: s.moments.failed ?? null,
        expired_at: s.moments.expired ?? null,
        failure_reason: s.failure?.reason ?? null,
        failure_recoverable: s.failure?.recoverable ?? null,
        updated_at: db.fn.now(),
      };
      await db('screenings').insert(row).onConflict('purchase_token').merge().where('screenings.version', '<', s.version);
    },

    async notifyLandlord(input: { milestone: 'submitted' | 'completed' | 'failed' | 'expired'; screening: ScreeningSnapshot }): Promise<SendOutcome> {
      return send(input.screening.landlord?.email, landlordMail(input.milestone, input.screening));
    },

    async remindTenant(input: { index: number; screening: ScreeningSnapshot }): Promise<SendOutcome> {
      return send(input.screening.tenant?.email, tenantReminderMail(input.index, input.screening));
    },

    async alertTeam(input: { reason: string; screening: ScreeningSnapshot }): Promise<SendOutcome> {
      return send(mail.alertEmail, teamAlertMail(input.reason, input.screening));
    },

    /** Archives SingleKey's report JSON (the links in it expire after five days). */
    async fetchReport(input: { purchaseToken: string; scope: 'partial' | 'full' }): Promise<{ score?: number }> {
      const report = await singlekey.getReport(input.purchaseToken);
      if (!report.ready) throw ApplicationFailure.create({ type: REPORT_NOT_READY, message: `report not ready: ${report.detail}` });
      await db('reports')
        .insert({ purchase_token: input.purchaseToken, scope: input.scope, report_json: JSON.stringify(report.body), fetched_at: db.fn.now() })
        .onConflict(['purchase_token', 'scope'])
        .merge();
      return { score: report.score };
    },

    /** Reconciliation: asks SingleKey whether the report is ready; not ready is a retryable failure. */
    async checkReport(input: { purchaseToken: string }): Promise<{ score?: number; reportUrl?: string }> {
      const report = await singlekey.getReport(input.purchaseToken);
      if (!report.ready) throw ApplicationFailure.create({ type: REPORT_NOT_READY, message: `report not ready: ${report.detail}` });
      return { score: report.score, reportUrl: report.reportUrl };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
