import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../temporal-binaries';

/**
 * One of the service's processes (`cli/api.ts`, `cli/worker.ts`) run as a process manager runs it
 * (systemd's `Restart=always`, a Kubernetes Deployment): whenever it exits, for any reason, it is
 * started again after `restartDelayMs`, until `stop()`.
 */
export interface Supervised {
  readonly name: string;
  /** How many times it has been started. */
  readonly starts: number;
  /** The running process, if any. */
  readonly child: ChildProcess | undefined;
  /** Resolves once the current process says it is ready. */
  ready(): Promise<void>;
  /** Sends `signal` to the current process (the manager starts it again). */
  kill(signal: NodeJS.Signals): void;
  /** Stops it for good (SIGTERM, SIGKILL after 20 s). */
  stop(): Promise<void>;
}

export function supervise(options: {
  name: string;
  entry: string;
  env: Record<string, string | undefined>;
  logFile: string;
  /** A line of its output that means it is serving. */
  readyLine: string;
  restartDelayMs?: number;
}): Supervised {
  let child: ChildProcess | undefined;
  let starts = 0;
  let stopping = false;
  let readiness: Promise<void> = Promise.resolve();

  const start = () => {
    starts += 1;
    const log = openSync(options.logFile, 'a');
    const current = spawn(process.execPath, ['--import', 'tsx', options.entry], {
      cwd: projectRoot,
      env: options.env,
      stdio: ['ignore', 'pipe', log],
    });
    closeSync(log);
    child = current;
    let output = '';
    readiness = new Promise<void>((resolve, reject) => {
      current.stdout!.on('data', (chunk: Buffer) => {
        if (output.length < 1_000_000) output += chunk.toString();
        if (output.includes(options.readyLine)) resolve();
      });
      current.once('exit', (code, signal) => reject(new Error(`${options.name} exited (${code ?? signal}) before it was ready`)));
    });
    readiness.catch(() => undefined);
    current.stdout!.on('data', (chunk: Buffer) => appendFileSync(options.logFile, chunk));
    current.once('exit', () => {
      if (child === current) child = undefined;
      if (!stopping) void sleep(options.restartDelayMs ?? 1_000).then(() => stopping || start());
    });
  };
  start();

  return {
    name: options.name,
    get starts() {
      return starts;
    },
    get child() {
      return child;
    },
    ready: () => readiness,
    kill(signal) {
      child?.kill(signal);
    },
    async stop() {
      stopping = true;
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
      current.kill('SIGTERM');
      const hung = setTimeout(() => current.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(hung);
    },
  };
}
