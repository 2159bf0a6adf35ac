import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export type SmtpMode = 'accept' | 'reject' | 'tempfail' | 'drop';

/**
 * A real SMTP server for failure tests: it records what it accepts (with the Message-ID) and can
 * be told to refuse for good (550), refuse for now (451) or close the connection mid-conversation (421).
 */
export async function startControllableSmtp(port = 0): Promise<{
  url: string;
  mode: SmtpMode;
  /** How long the server waits before answering a message (0: at once), like a slow or overloaded relay. */
  delayMs: number;
  received: { to: string[]; messageId?: string; subject?: string }[];
  close(): Promise<void>;
}> {
  const state = { mode: 'accept' as SmtpMode, delayMs: 0, received: [] as { to: string[]; messageId?: string; subject?: string }[] };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      // 421 makes smtp-server close the connection, as a server going away mid-conversation does.
      if (state.mode === 'drop') return callback(Object.assign(new Error('closing connection'), { responseCode: 421 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => void setTimeout(answer, state.delayMs));
      const answer = () => {
        if (state.mode === 'reject') return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        if (state.mode === 'tempfail') return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
        simpleParser(Buffer.concat(chunks)).then((parsed) => {
          state.received.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), messageId: parsed.messageId, subject: parsed.subject });
          callback();
        }, callback);
      };
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    get mode() {
      return state.mode;
    },
    set mode(value: SmtpMode) {
      state.mode = value;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    received: state.received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
