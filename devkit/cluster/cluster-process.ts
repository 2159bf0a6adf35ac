import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, freePortPairIn } from '../embedded/free-port';
import { projectRoot } from '../temporal-binaries';

export interface ClusterProcess {
  child: ChildProcess;
  /** The environment it runs with (DATA_DIR, ports, `env`), for tools run next to it. */
  env: Record<string, string | undefined>;
  /** The two API processes' base URLs. */
  apis: string[];
  postgresPort: number;
  output(): string;
  /** Ctrl-C, and the exit code once everything has stopped. */
  stop(): Promise<number | null>;
}

/**
 * Starts `cli/cluster.ts` as a user runs `npm run cluster`, in `dataDir` on free ports (the API
 * pair below 32768), and resolves once it prints that it is ready. The first run on a machine builds
 * the Temporal server (about 6 minutes on 2 cores). Used by the cluster tests and the benchmark.
 */
export async function startClusterProcess(options: { dataDir: string; env?: Record<string, string> }): Promise<ClusterProcess> {
  const apiPort = await freePortPairIn(20_000, 32_000);
  const postgresPort = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'warn',
    DATA_DIR: options.dataDir,
    PORT: String(apiPort),
    EMBEDDED_POSTGRES_PORT: String(postgresPort),
    EMBEDDED_SMTP_PORT: String(await freePort()),
    EMBEDDED_SINGLEKEY_PORT: String(await freePort()),
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/cluster.ts'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    return exited;
  };
  for (const deadline = Date.now() + 840_000; !output.includes('Screening cluster ready'); await sleep(200)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`npm run cluster did not become ready:\n${output}`);
    }
  }
  return { child, env, apis: [`http://127.0.0.1:${apiPort}`, `http://127.0.0.1:${apiPort + 1}`], postgresPort, output: () => output, stop };
}
