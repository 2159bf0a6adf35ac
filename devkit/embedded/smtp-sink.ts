import { simpleParser } from 'mailparser';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface SavedMail {
  file: string;
  from?: string;
  to: string[];
  subject?: string;
}

export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>`, ready for nodemailer. */
  url: string;
  folder: string;
  stop(): Promise<void>;
}

/**
 * A development mail server: accepts every message over real SMTP and keeps it as an `.eml` file
 * (open it with any mail client) instead of delivering it.
 */
export async function startSmtpSink(options: { folder: string; port: number; onMail?: (mail: SavedMail) => void }): Promise<SmtpSink> {
  mkdirSync(options.folder, { recursive: true });
  let sequence = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    banner: 'screening-lifecycle development mail sink',
    size: 25 * 1024 * 1024,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        const file = path.join(options.folder, `${stamp}-${process.pid}-${++sequence}.eml`);
        writeFile(file, raw)
          .then(() => simpleParser(raw))
          .then((parsed) => {
            options.onMail?.({
              file,
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              subject: parsed.subject,
            });
            callback();
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    folder: options.folder,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
