/**
 * schemathesis, the property-based API fuzzer the OpenAPI fuzz test runs against the document at
 * /openapi.json. Installed from PyPI with pip into `.temporal/python/schemathesis` (`pip install
 * --target`: no virtual environment, nothing outside the checkout), at the versions pinned in
 * schemathesis-constraints.txt, so that every machine generates the same kinds of requests.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findPython, runPython } from './python';
import { projectRoot } from './temporal-binaries';

const constraintsFile = path.join(__dirname, 'schemathesis-constraints.txt');
const installDir = path.join(projectRoot, '.temporal', 'python', 'schemathesis');
const markerFile = path.join(installDir, 'installed.json');

/** What the marker records: the pins installed, and the interpreter their compiled wheels are for. */
interface Marker {
  pins: string;
  python: string;
}

/** How to run the installed schemathesis: `python -m schemathesis.cli` with its folder on PYTHONPATH. */
export interface Schemathesis {
  version: string;
  python: string;
  args: string[];
  env: { PYTHONPATH: string };
}

function pins(): { version: string; digest: string } {
  const text = readFileSync(constraintsFile, 'utf8');
  const version = /^schemathesis==(\S+)$/m.exec(text)?.[1];
  if (!version) throw new Error(`${constraintsFile} pins no schemathesis version`);
  return { version, digest: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}

/** The installed schemathesis when it matches the pins; undefined when it is missing or stale. */
export function findSchemathesis(): Schemathesis | undefined {
  const { version, digest } = pins();
  let marker: Marker;
  try {
    marker = JSON.parse(readFileSync(markerFile, 'utf8')) as Marker;
    accessSync(marker.python, constants.X_OK);
  } catch {
    return undefined;
  }
  if (marker.pins !== digest) return undefined;
  return { version, python: marker.python, args: ['-m', 'schemathesis.cli'], env: { PYTHONPATH: installDir } };
}

/** Like `findSchemathesis`, but fails with the remedy when it is missing. */
export function requireSchemathesis(): Schemathesis {
  const found = findSchemathesis();
  if (!found) throw new Error('schemathesis is not installed: run `npm run setup:schemathesis`');
  return found;
}

/** Installs the pinned schemathesis with pip (about 10 s); throws naming what failed. */
export function installSchemathesis(): Schemathesis {
  const { version, digest } = pins();
  const python = findPython();
  const partial = `${installDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  console.log(`[setup] installing schemathesis==${version} from PyPI into ${path.relative(process.cwd(), installDir)} (the OpenAPI fuzz test's fuzzer) ...`);
  runPython(
    python,
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--quiet',
      '--only-binary=:all:',
      '--target',
      partial,
      '--constraint',
      constraintsFile,
      `schemathesis==${version}`,
    ],
    { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' },
  );
  // The compiled wheels (jsonschema-rs, pyyaml) are for this interpreter: run schemathesis with it.
  const executable = spawnSync(python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
  rmSync(installDir, { recursive: true, force: true });
  renameSync(partial, installDir);
  writeFileSync(markerFile, `${JSON.stringify({ pins: digest, python: executable } satisfies Marker)}\n`);
  console.log(`[setup] installed schemathesis ${version} at ${path.relative(process.cwd(), installDir)}`);
  return requireSchemathesis();
}
