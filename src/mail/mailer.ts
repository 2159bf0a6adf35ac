import nodemailer, { type Transporter } from 'nodemailer';

/** A pooled SMTP transport; the SMTP URL carries host, port, credentials and TLS choice. */
export function createMailer(smtpUrl: string): Transporter {
  const url = new URL(smtpUrl);
  url.searchParams.set('pool', 'true');
  return nodemailer.createTransport(url.toString());
}
