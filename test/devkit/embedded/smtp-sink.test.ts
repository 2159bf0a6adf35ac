import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { startSmtpSink } from '../../../devkit/embedded/smtp-sink';
import { createMailer } from '../../../src/mail/mailer';
import { freePort } from '../../../devkit/embedded/free-port';
import { testEnvironment } from '../../support/environment';

/** A real SMTP conversation: nodemailer's pooled transport talking to the development mail sink. */
describe('development mail sink', () => {
  it('keeps each message sent over SMTP as an .eml file and reports it', async () => {
    const reported: { file: string; subject?: string; to: string[] }[] = [];
    const sink = await startSmtpSink({
      folder: path.join(testEnvironment().root, 'mail-sink-test'),
      port: await freePort(),
      onMail: (mail) => reported.push(mail),
    });
    const mailer = createMailer(sink.url);
    try {
      const info = await mailer.sendMail({
        from: 'Screenings <screenings@example.test>',
        to: 'landlord@example.test',
        subject: 'Screening complete',
        text: 'The report is ready.',
      });
      assert.deepEqual(info.accepted, ['landlord@example.test']);
      assert.equal(reported.length, 1);
      assert.deepEqual(reported[0]!.to, ['landlord@example.test']);
      assert.equal(reported[0]!.subject, 'Screening complete');
      const parsed = await simpleParser(await readFile(reported[0]!.file));
      assert.equal(parsed.messageId, info.messageId);
      assert.equal(parsed.text?.trim(), 'The report is ready.');
    } finally {
      mailer.close();
      await sink.stop();
    }
  });
});
