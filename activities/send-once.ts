import { ApplicationFailure } from '@temporalio/common';
import type { Transporter } from 'nodemailer';
import type { Db } from '../src/db/connection';
import { isErased } from '../src/db/erasure';
import { failureTypes } from '../workflows/messages';
import { CLAIM_MS, claimedUntil, whileClaimed } from './ledger-claim';
import type { MailContent } from './mail-templates';

export type SendOutcome =
  | { outcome: 'sent'; messageId: string }
  | { outcome: 'skipped_no_recipient' }
  /** The e-mail became pointless before it was sent (a reminder to a tenant who has moved on). */
  | { outcome: 'not_needed' };

export interface Sender {
  db: Db;
  mailer: Transporter;
  from: string;
  /** The claim's lease (tests shorten it); `CLAIM_MS` (ledger-claim.ts) by default. */
  claimMs?: number;
}

/**
 * Sends one e-mail per (screening, kind), whatever Temporal retries or restarts. The ledger row is
 * *claimed* in one UPDATE (`sending` until `claimed_until`) before the SMTP conversation and marked
 * `sent` after it. An attempt that finds the e-mail sent sends nothing; one that finds a live claim
 * fails retryably (`MailBeingSent`) without sending; a retry after a crash between sending and
 * marking re-sends the same message with the same Message-ID (`<kind.purchase_token@domain>`),
 * which mail clients show once.
 */
export async function sendOnce(
  sender: Sender,
  mail: { purchaseToken: string; kind: string; to: string | undefined; content: MailContent },
): Promise<SendOutcome> {
  const { db } = sender;
  const claimSeconds = (sender.claimMs ?? CLAIM_MS) / 1000;
  const key = { purchase_token: mail.purchaseToken, kind: mail.kind };
  const messageId = `<${mail.kind}.${mail.purchaseToken}@${domainOf(sender.from)}>`;
  // Erased (withdrawn consent, retention): nobody is written to or kept in the ledger again.
  if (await isErased(db, mail.purchaseToken)) return { outcome: 'not_needed' };
  await db('notifications')
    .insert({ ...key, recipient: mail.to ?? null, message_id: messageId, status: mail.to ? 'pending' : 'skipped_no_recipient' })
    .onConflict(['purchase_token', 'kind'])
    .ignore();
  const claimable = (query: ReturnType<Db>) =>
    query
      .where(key)
      .andWhere((q) =>
        q
          .whereIn('status', ['pending', 'skipped_no_recipient'])
          .orWhere((expired) => expired.where('status', 'sending').andWhere('claimed_until', '<', db.fn.now())),
      );
  if (!mail.to) {
    const skipped = await claimable(db('notifications')).update({ status: 'skipped_no_recipient', claimed_until: null, updated_at: db.fn.now() });
    if (skipped > 0) return { outcome: 'skipped_no_recipient' };
  } else {
    const claimed = (await claimable(db('notifications')).update(
      {
        status: 'sending',
        claimed_until: claimedUntil(db, claimSeconds),
        recipient: mail.to,
        attempts: db.raw('attempts + 1'),
        updated_at: db.fn.now(),
      },
      ['attempts'],
    )) as { attempts: number }[];
    if (claimed[0]) {
      // The claim is this attempt's while its count stands in the row: renew it for as long as the conversation runs.
      const ours = { ...key, status: 'sending', attempts: claimed[0].attempts };
      return whileClaimed(db, 'notifications', ours, claimSeconds, () => send(sender, mail, ours, messageId));
    }
  }
  const row = (await db('notifications').where(key).first()) as { status: string; error: string | null; claimed_until: Date | null };
  if (row.status === 'sent') return { outcome: 'sent', messageId };
  if (row.status === 'failed') {
    throw ApplicationFailure.create({ type: failureTypes.mailRejected, nonRetryable: true, message: `refused earlier: ${row.error ?? ''}` });
  }
  throw ApplicationFailure.create({
    type: failureTypes.mailBeingSent,
    message: `another attempt is sending this e-mail (claimed until ${row.claimed_until?.toISOString() ?? '?'}); retrying later`,
  });
}

/**
 * The SMTP conversation of a claimed e-mail, and the ledger's answer to it, written only while the
 * claim is still this attempt's (`ours`: its attempt count): an attempt whose lease lapsed (PostgreSQL
 * away longer than the lease) must not reset a row another attempt has claimed since.
 */
async function send(
  sender: Sender,
  mail: { to: string | undefined; content: MailContent },
  ours: { purchase_token: string; kind: string; status: string; attempts: number },
  messageId: string,
): Promise<SendOutcome> {
  const { db } = sender;
  try {
    await sender.mailer.sendMail({ from: sender.from, to: mail.to, messageId, ...mail.content });
  } catch (error) {
    const code = (error as { responseCode?: number }).responseCode;
    const permanent = code !== undefined && code >= 500 && code < 600;
    const message = (error as Error).message.slice(0, 1000);
    await db('notifications')
      .where(ours)
      .update({ status: permanent ? 'failed' : 'pending', claimed_until: null, error: message, updated_at: db.fn.now() });
    if (permanent) throw ApplicationFailure.create({ type: failureTypes.mailRejected, nonRetryable: true, message, cause: error as Error });
    throw error;
  }
  await db('notifications').where(ours).update({ status: 'sent', claimed_until: null, sent_at: db.fn.now(), error: null, updated_at: db.fn.now() });
  return { outcome: 'sent', messageId };
}

/** The domain of the MAIL_FROM address, for Message-IDs. */
function domainOf(from: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
}
