import { type LandlordMilestone, type ScreeningSnapshot, workflowIdFor } from '../workflows/messages';

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

const shortToken = (token: string) => (token.length > 12 ? `${token.slice(0, 8)}…` : token);
const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function render(subject: string, lines: string[]): MailContent {
  return {
    subject,
    text: `${lines.join('\n\n')}\n`,
    html: `<!doctype html><html><body>${lines.map((line) => `<p>${escape(line)}</p>`).join('')}</body></html>`,
  };
}

function applicant(s: ScreeningSnapshot): string {
  const name = [s.tenant?.firstName, s.tenant?.lastName].filter(Boolean).join(' ');
  return name || (s.externalTenantId ? `applicant ${s.externalTenantId}` : 'your applicant');
}

export function landlordMail(milestone: LandlordMilestone, s: ScreeningSnapshot, archivedReportUrl?: string): MailContent {
  const ref = `Screening reference: ${s.purchaseToken}`;
  switch (milestone) {
    case 'submitted':
      return render(`Application submitted: ${applicant(s)}`, [
        `${applicant(s)} has submitted the screening application. SingleKey is preparing the report; you will get another e-mail when it is ready.`,
        ref,
      ]);
    case 'completed':
      return render(`Screening report ready: ${applicant(s)}`, [
        `The screening report for ${applicant(s)} is ready.`,
        ...(s.score !== undefined ? [`SingleKey score: ${s.score}${s.recommendation ? ` (${s.recommendation})` : ''}`] : []),
        ...(archivedReportUrl ? [`Download the report (PDF): ${archivedReportUrl}`] : []),
        ...(s.links?.report ? [`SingleKey's own link (valid for five days): ${s.links.report}`] : []),
        ref,
      ]);
    case 'failed':
      return render(`Screening could not be completed: ${applicant(s)}`, [
        `The screening for ${applicant(s)} could not be completed${s.failure?.reason ? ` (${s.failure.reason.replace(/_/g, ' ')})` : ''}. ` +
          'Our team has been told and is looking into it.',
        ref,
      ]);
    case 'expired':
      return render(`Screening invitation expired: ${applicant(s)}`, [
        `${applicant(s)} did not complete the screening application in time, so the invitation has expired. You can send a new one from your dashboard.`,
        ref,
      ]);
  }
}

export function tenantReminderMail(index: number, s: ScreeningSnapshot): MailContent {
  return render(index === 1 ? 'Reminder: your rental application screening' : 'Last reminder: your rental application screening', [
    `Hello${s.tenant?.firstName ? ` ${s.tenant.firstName}` : ''}, your landlord is waiting for your screening application.`,
    s.formUrl ? `Continue here: ${s.formUrl}` : 'Please use the link in the invitation e-mail from SingleKey to continue.',
  ]);
}

export function teamAlertMail(reason: string, s: ScreeningSnapshot): MailContent {
  return render(`[screenings] ${reason.replace(/_/g, ' ')}: ${shortToken(s.purchaseToken)}`, [
    `Screening ${s.purchaseToken} (landlord ${s.externalCustomerId ?? '?'}, tenant ${s.externalTenantId ?? '?'}) needs attention: ${reason}.`,
    ...(s.failure
      ? [`Failure: ${s.failure.reason ?? 'unknown'}${s.failure.message ? ` - ${s.failure.message}` : ''} (recoverable: ${s.failure.recoverable})`]
      : []),
    `Status: ${s.status}. Inspect: temporal workflow query --workflow-id ${workflowIdFor(s.purchaseToken)} --type status`,
  ]);
}
