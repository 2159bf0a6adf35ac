import { appendFileSync, readFileSync, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One line of the mail server's log: a message it took responsibility for, or one whose sender left first. */
export interface MailLogLine {
  at: string;
  /** `accepted`: its 250 went out on an open connection; `abandoned`: the client had hung up by then. */
  outcome: 'accepted' | 'abandoned';
  messageId?: string;
  to: string[];
  subject?: string;
}

export interface ChaosMailServer {
  url: string;
  /** How long each message waits for its answer (a slow relay). */
  delayMs: number;
  /** Messages received whose answer is still pending, on connections still open. */
  readonly inFlight: number;
  /** Stops listening (connections are refused) until `accept()`. */
  refuse(): Promise<void>;
  accept(): Promise<void>;
  /** The log, read back from its file. */
  log(): MailLogLine[];
  close(): Promise<void>;
}

/**
 * The chaos suite's mail server: real SMTP on a fixed loopback port, and its own log (one JSON line
 * per message, appended to `logFile`), which is what the suite counts e-mails from.
 *
 * Like a careful MTA it takes responsibility for a message when its `250` reply goes out (RFC 5321
 * §6.1): a message whose client hung up before the reply (a worker killed mid-send, or one that gave
 * up after its socket timeout) is logged as `abandoned` and not delivered. What no client can close
 * is the window between that reply and the sender recording it (RFC 1047); a resend then carries the
 * same Message-ID.
 */
export async function startChaosMailServer(options: { port: number; logFile: string }): Promise<ChaosMailServer> {
  const state = { delayMs: 0 };
  const closed = new Set<string>();
  /** Messages awaiting their answer, by connection: one whose sender hung up is no longer in flight. */
  const waiting = new Map<string, number>();
  const settle = (session: string, by: number) => {
    const n = (waiting.get(session) ?? 0) + by;
    if (n > 0) waiting.set(session, n);
    else waiting.delete(session);
  };
  const answers = new Set<NodeJS.Timeout>();
  const write = (line: MailLogLine) => appendFileSync(options.logFile, `${JSON.stringify(line)}\n`);
  const create = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onClose(session) {
        closed.add(session.id);
        waiting.delete(session.id);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          settle(session.id, 1);
          const answer = setTimeout(() => {
            answers.delete(answer);
            if (!closed.has(session.id)) settle(session.id, -1);
            simpleParser(Buffer.concat(chunks)).then((parsed) => {
              const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
              const outcome = closed.has(session.id) ? 'abandoned' : 'accepted';
              write({ at: new Date().toISOString(), outcome, messageId: parsed.messageId, to, subject: parsed.subject });
              callback();
            }, callback);
          }, state.delayMs);
          answers.add(answer);
        });
      },
    });
  const serve = () => {
    const created = create();
    // A client that vanishes mid-conversation (a killed worker) resets its connection; a mail server shrugs.
    created.on('error', () => undefined);
    return created;
  };
  let server = serve();
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  // Closing waits for open connections; each one ends within the senders' socket timeout.
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  await listen();
  let listening = true;
  return {
    url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    get inFlight() {
      let n = 0;
      for (const count of waiting.values()) n += count;
      return n;
    },
    async refuse() {
      if (!listening) return;
      listening = false;
      await stop();
    },
    async accept() {
      if (listening) return;
      server = serve();
      await listen();
      listening = true;
    },
    log: () =>
      existsSync(options.logFile)
        ? readFileSync(options.logFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as MailLogLine)
        : [],
    close: async () => {
      // Answers still pending go to connections about to close: nothing more is logged.
      for (const answer of answers) clearTimeout(answer);
      answers.clear();
      if (listening) await stop();
      listening = false;
    },
  };
}
