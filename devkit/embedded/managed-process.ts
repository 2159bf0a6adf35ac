import { setTimeout as sleep } from 'node:timers/promises';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A long-running helper process (Temporal dev server, PostgreSQL) owned by `npm start`.
 *
 * It runs in its own process group so that the terminal's Ctrl-C reaches only our process: we then
 * stop things in order (HTTP, worker, then the servers they depend on) instead of having the
 * servers die under a draining worker. A pid file lets the next start end a copy that a killed
 * parent (SIGKILL) left behind.
 */
export interface ManagedProcess {
  readonly child: ChildProcess;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  /** Sends `signal` to its group, waits up to `graceMs` for the whole group to end, then kills it. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  pidFile: string;
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

export function startManagedProcess(options: StartOptions): ManagedProcess {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      detached: true,
      stdio: ['ignore', log, log],
      uid: options.uid,
      gid: options.gid,
      env: options.env,
    });
  } finally {
    closeSync(log);
  }
  if (child.pid === undefined) throw new Error(`${options.name} could not be started (${options.command})`);
  // pid, command (to recognise it later), and the owner: a pid file whose owner still runs is not a leftover.
  writeFileSync(options.pidFile, `${child.pid}\n${options.command}\n${process.pid}\n`);
  running.add(child);
  installExitHook();

  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      rmSync(options.pidFile, { force: true });
      resolve();
    });
    child.once('error', () => resolve());
  });

  return {
    child,
    exited,
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      const group = child.pid!;
      if (!isAlive(-group)) return;
      signalGroup(group, signal);
      const timer = setTimeout(() => signalGroup(group, 'SIGKILL'), graceMs);
      await exited;
      // What it started may end after it (initdb under its wrapper script); the folder they use may be removed next.
      while (isAlive(-group)) await sleep(50);
      clearTimeout(timer);
    },
  };
}

/**
 * The pid of the live process (another `npm start`) that owns the helper recorded in `pidFile`,
 * when that helper still runs; undefined when it is gone or was left behind by a dead owner.
 */
export function liveOwner(pidFile: string): number | undefined {
  const recorded = readPidFile(pidFile);
  if (!recorded?.owner || recorded.owner === process.pid || !isAlive(recorded.owner) || !runs(recorded.pid, recorded.command)) return undefined;
  return recorded.owner;
}

/**
 * Ends a process recorded in `pidFile` by an earlier run that did not shut down cleanly. One whose
 * owner still runs is left alone (see `liveOwner`).
 */
export async function stopLeftover(pidFile: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
  const recorded = readPidFile(pidFile);
  if (!recorded || liveOwner(pidFile) !== undefined) return false;
  rmSync(pidFile, { force: true });
  // The pid may have been reused by an unrelated process since; only end it if it still runs our command.
  if (!runs(recorded.pid, recorded.command)) return false;
  signalGroup(recorded.pid, signal);
  for (let waited = 0; waited < 15_000 && isAlive(recorded.pid); waited += 100) await sleep(100);
  if (isAlive(recorded.pid)) signalGroup(recorded.pid, 'SIGKILL');
  return true;
}

export function readPidFile(pidFile: string): { pid: number; command: string; owner?: number } | undefined {
  if (!existsSync(pidFile)) return undefined;
  const [pidText = '', command = '', ownerText = ''] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number.parseInt(pidText, 10);
  const owner = Number.parseInt(ownerText, 10);
  return { pid, command, owner: Number.isInteger(owner) ? owner : undefined };
}

function runs(pid: number, command: string): boolean {
  return Number.isInteger(pid) && pid > 1 && command !== '' && isAlive(pid) && commandOf(pid).includes(command);
}

function commandOf(pid: number): string {
  try {
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  } catch {
    return '';
  }
}

/** Whether a process with this pid (a negative one: of this process group) exists; signal 0 checks without signalling. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals a process group (`detached` children lead their own), or the process alone when it leads none. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Last resort when our process exits without a clean shutdown (uncaught error, process.exit). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
  });
}
