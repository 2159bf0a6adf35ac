import nodemailer, { type Transporter } from 'nodemailer';

/**
 * SMTP time limits, well inside the e-mail activity's 2-minute start-to-close timeout (nodemailer's
 * defaults are minutes): a stuck server fails the attempt after 15 s of silence, and Temporal
 * retries it, instead of the attempt outliving its timeout.
 */
export const SMTP_TIMEOUTS_MS = { connection: 5_000, greeting: 5_000, socket: 15_000 } as const;

/** A pooled SMTP transport; the SMTP URL carries host, port, credentials and TLS choice. */
export function createMailer(smtpUrl: string): Transporter {
  const url = new URL(smtpUrl);
  url.searchParams.set('pool', 'true');
  url.searchParams.set('connectionTimeout', String(SMTP_TIMEOUTS_MS.connection));
  url.searchParams.set('greetingTimeout', String(SMTP_TIMEOUTS_MS.greeting));
  url.searchParams.set('socketTimeout', String(SMTP_TIMEOUTS_MS.socket));
  return nodemailer.createTransport(url.toString());
}
