import { ApplicationFailure } from '@temporalio/common';
import type { Transporter } from 'nodemailer';
import type { Db } from '../src/db/connection';
import { failureTypes } from '../workflows/messages';
import type { MailContent } from './mail-templates';

export type SendOutcome = { outcome: 'sent'; messageId: string } | { outcome: 'skipped_no_recipient' };

export interface Sender {
  db: Db;
  mailer: Transporter;
  from: string;
}

/**
 * Sends one e-mail per (screening, kind), whatever Temporal retries: the ledger row is written
 * `pending` before sending and `sent` after. A repeat after `sent` sends nothing; a retry after a
 * crash between the two re-sends the same message with the same Message-ID
 * (`<kind.purchase_token@domain>`), which mail clients show once.
 */
export async function sendOnce(
  sender: Sender,
  mail: { purchaseToken: string; kind: string; to: string | undefined; content: MailContent },
): Promise<SendOutcome> {
  const { db } = sender;
  const key = { purchase_token: mail.purchaseToken, kind: mail.kind };
  const messageId = `<${mail.kind}.${mail.purchaseToken}@${domainOf(sender.from)}>`;
  await db('notifications')
    .insert({ ...key, recipient: mail.to ?? null, message_id: messageId, status: mail.to ? 'pending' : 'skipped_no_recipient' })
    .onConflict(['purchase_token', 'kind'])
    .ignore();
  const row = (await db('notifications').where(key).first()) as { status: string; error: string | null };
  if (row.status === 'sent') return { outcome: 'sent', messageId };
  if (row.status === 'failed') {
    throw ApplicationFailure.create({ type: failureTypes.mailRejected, nonRetryable: true, message: `refused earlier: ${row.error ?? ''}` });
  }
  if (!mail.to) {
    await db('notifications').where(key).update({ status: 'skipped_no_recipient', updated_at: db.fn.now() });
    return { outcome: 'skipped_no_recipient' };
  }
  await db('notifications')
    .where(key)
    .update({ status: 'pending', recipient: mail.to, attempts: db.raw('attempts + 1'), updated_at: db.fn.now() });
  try {
    await sender.mailer.sendMail({ from: sender.from, to: mail.to, messageId, ...mail.content });
  } catch (error) {
    const code = (error as { responseCode?: number }).responseCode;
    const permanent = code !== undefined && code >= 500 && code < 600;
    const message = (error as Error).message.slice(0, 1000);
    await db('notifications')
      .where(key)
      .update({ status: permanent ? 'failed' : 'pending', error: message, updated_at: db.fn.now() });
    if (permanent) throw ApplicationFailure.create({ type: failureTypes.mailRejected, nonRetryable: true, message, cause: error as Error });
    throw error;
  }
  await db('notifications').where(key).update({ status: 'sent', sent_at: db.fn.now(), error: null, updated_at: db.fn.now() });
  return { outcome: 'sent', messageId };
}

/** The domain of the MAIL_FROM address, for Message-IDs. */
function domainOf(from: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
}
