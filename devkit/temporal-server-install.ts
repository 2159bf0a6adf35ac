/**
 * The real Temporal server (the cluster profile, `npm run cluster`) and its schema tool, built from
 * the Go module proxy into `.temporal/bin` on first use, with the module's PostgreSQL schemas copied
 * beside them. Temporal publishes no PyPI wheel of the server, and its release archives come from
 * GitHub, which this kind of machine cannot reach; the Go module proxy it can. Built once (about 5
 * minutes on 2 cores), then found by its version marker; the Go caches make a rebuild quick.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installDir } from './temporal-binaries';

export const SERVER = {
  module: 'go.temporal.io/server',
  version: 'v1.32.2',
  /** v1.32.2 needs Go >= 1.26.10; the go command fetches this toolchain itself when the installed one is older. */
  toolchain: 'go1.27.3',
} as const;

export interface ServerBinaries {
  server: string;
  sqlTool: string;
  /** `schema/postgresql/v12/{temporal,visibility}/versioned` of the pinned module. */
  schemaDir: string;
}

/** Where to install, and the environment of the go commands (tests point both elsewhere). */
export interface InstallOptions {
  dir?: string;
  env?: NodeJS.ProcessEnv;
}

/** The installed server, or undefined when it is missing or another version. */
export function findServer(dir = installDir): ServerBinaries | undefined {
  const found = {
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    schemaDir: path.join(dir, `temporal-server-schema`, 'postgresql', 'v12'),
  };
  if (readMarker(dir) !== SERVER.version) return undefined;
  try {
    accessSync(found.server, constants.X_OK);
    accessSync(found.sqlTool, constants.X_OK);
  } catch {
    return undefined;
  }
  return existsSync(found.schemaDir) ? found : undefined;
}

/** Finds the server, building it first when needed; `say` reports progress. Throws naming what is missing. */
export async function ensureServer(say: (line: string) => void, options: InstallOptions = {}): Promise<ServerBinaries> {
  const dir = options.dir ?? installDir;
  const found = findServer(dir);
  if (found) return found;
  const baseEnv = options.env ?? process.env;
  const go = spawnSync('go', ['version'], { encoding: 'utf8', env: baseEnv });
  if (go.error || go.status !== 0) {
    throw new Error(
      'the Temporal server is built from source with Go, which is not installed (no `go` on PATH): install Go 1.21 or newer ' +
        `(it fetches the ${SERVER.toolchain} toolchain the server needs by itself), then run this again`,
    );
  }
  const build = path.join(dir, '..', 'server-build');
  mkdirSync(build, { recursive: true });
  writeFileSync(path.join(build, 'go.mod'), 'module build\n\ngo 1.26\n');
  const env = { ...baseEnv, GOTOOLCHAIN: SERVER.toolchain, GOFLAGS: '-mod=mod' };
  const server = `${SERVER.module}/cmd/server`;
  const sqlTool = `${SERVER.module}/cmd/tools/sql`;
  say(`[setup] building the Temporal server ${SERVER.version} with ${SERVER.toolchain} from the Go module proxy (first time: about 5 minutes on 2 cores) ...`);
  await goCommand(['get', `${server}@${SERVER.version}`, `${sqlTool}@${SERVER.version}`], build, env, say, 'downloading modules');
  mkdirSync(dir, { recursive: true });
  await goCommand(['build', '-o', path.join(dir, 'temporal-server.partial'), server], build, env, say, 'compiling the server');
  await goCommand(['build', '-o', path.join(dir, 'temporal-sql-tool.partial'), sqlTool], build, env, say, 'compiling the schema tool');
  const moduleDir = spawnSync('go', ['list', '-m', '-f', '{{.Dir}}', SERVER.module], { cwd: build, env, encoding: 'utf8' }).stdout.trim();
  if (!moduleDir || !existsSync(path.join(moduleDir, 'schema', 'postgresql', 'v12'))) {
    throw new Error(`the ${SERVER.module} module has no schema/postgresql/v12 folder (looked in ${moduleDir || 'nothing: go list failed'})`);
  }
  const schema = path.join(dir, 'temporal-server-schema');
  rmSync(schema, { recursive: true, force: true });
  cpSync(path.join(moduleDir, 'schema'), schema, { recursive: true });
  // The module cache's files are read-only; the copy must stay removable by the next install.
  spawnSync('chmod', ['-R', 'u+w', schema]);
  renameSync(path.join(dir, 'temporal-server.partial'), path.join(dir, 'temporal-server'));
  renameSync(path.join(dir, 'temporal-sql-tool.partial'), path.join(dir, 'temporal-sql-tool'));
  writeFileSync(markerIn(dir), `${SERVER.version}\n`);
  say(`[setup] installed temporal-server ${SERVER.version} and its schema tool in ${path.relative(process.cwd(), dir) || dir}`);
  return findServer(dir)!;
}

/** Runs a go command, printing its errors and a line every 30 s so a long build does not look hung. */
function goCommand(args: string[], cwd: string, env: NodeJS.ProcessEnv, say: (line: string) => void, what: string): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, { cwd, env, stdio: ['ignore', 'inherit', 'pipe'] });
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const ticker = setInterval(() => say(`[setup]   ${what}: ${Math.round((Date.now() - started) / 1000)} s`), 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearInterval(ticker);
      if (code === 0) return resolve();
      const tail = errors.trim().split('\n').slice(-8).join('\n');
      const offline = /dial tcp|no such host|proxy\.golang\.org|connection refused|i\/o timeout|GOPROXY=off|toolchain not available/.test(errors);
      reject(
        new Error(
          `go ${args[0]} failed (exit ${code})${offline ? ': the Go module proxy could not be reached (no network, or GOPROXY points elsewhere)' : ''}\n${tail}`,
        ),
      );
    });
  });
}

const markerIn = (dir: string) => path.join(dir, 'temporal-server.version');

function readMarker(dir: string): string | undefined {
  try {
    return readFileSync(markerIn(dir), 'utf8').trim();
  } catch {
    return undefined;
  }
}
