import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
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

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Last resort when the parent exits without stopping them (an uncaught error): none is left running. */
function killOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export function supervise(options: {
  name: string;
  entry: string;
  env: Record<string, string | undefined>;
  logFile: string;
  /** Where the current process's pid is written on every start (for operators and tests). */
  pidFile?: string;
  restartDelayMs?: number;
}): Supervised {
  let child: ChildProcess | undefined;
  let starts = 0;
  let stopping = false;
  let readiness: Promise<void> = Promise.resolve();

  const start = () => {
    starts += 1;
    const log = openSync(options.logFile, 'a');
    // Its own process group: the terminal's Ctrl-C reaches only the parent, which stops it in order.
    const current = spawn(process.execPath, ['--import', 'tsx', options.entry], {
      cwd: projectRoot,
      env: options.env,
      // The IPC channel carries its "ready" (see runEntrypoint), whatever its log level.
      stdio: ['ignore', log, log, 'ipc'],
      detached: true,
    });
    closeSync(log);
    child = current;
    live.add(current);
    if (options.pidFile && current.pid !== undefined) writeFileSync(options.pidFile, `${current.pid}\n`);
    current.once('exit', () => live.delete(current));
    killOnExit();
    readiness = new Promise<void>((resolve, reject) => {
      current.on('message', (message) => message === 'ready' && resolve());
      current.once('exit', (code, signal) => reject(new Error(`${options.name} exited (${code ?? signal}) before it was ready`)));
    });
    readiness.catch(() => undefined);
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
