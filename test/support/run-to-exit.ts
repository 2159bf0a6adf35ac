import { spawn } from 'node:child_process';
import { signalGroup } from '../../devkit/embedded/managed-process';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr as they came. */
  output: string;
  ms: number;
}

/**
 * Runs a command to its exit, in its own process group. Past `timeoutMs` the group gets SIGINT
 * (our entry points answer it with their ordered shutdown), 10 s later SIGKILL: mocha's wrapper
 * passes SIGINT on to no one, and its child would keep the output pipes, and so this wait, open.
 */
export function runToExit(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Exit> {
  const started = Date.now();
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const interrupt = setTimeout(() => signalGroup(child.pid!, 'SIGINT'), options.timeoutMs);
  const kill = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), options.timeoutMs + 10_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      resolve({ code, signal, output, ms: Date.now() - started });
    });
  });
}
