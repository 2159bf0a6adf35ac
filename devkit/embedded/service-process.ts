import { type ChildProcess, spawn } from 'node:child_process';
import { projectRoot } from '../temporal-binaries';
import path from 'node:path';
import { freePort } from './free-port';
import { stopLeftover } from './managed-process';

export interface ServicePorts {
  api: number;
  temporal: number;
  ui: number;
  postgres: number;
  smtp: number;
  workerMetrics: number;
  singlekey: number;
}

/** A free port for each part, so a test or benchmark run does not meet a running `npm start`. */
export async function freeServicePorts(): Promise<ServicePorts> {
  return {
    api: await freePort(),
    temporal: await freePort(),
    ui: await freePort(),
    postgres: await freePort(),
    smtp: await freePort(),
    workerMetrics: await freePort(),
    singlekey: await freePort(),
  };
}

export interface ServiceProcess {
  child: ChildProcess;
  output(): string;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `cli/start.ts` as `npm start` does, with only what a newcomer's shell would have plus the
 * given data folder, ports and extra variables, and resolves once it prints that it is ready.
 * Used by the end-to-end tests and the benchmark.
 */
export async function startServiceProcess(options: {
  dataDir: string;
  ports: ServicePorts;
  env?: Record<string, string>;
  baseEnv: { PATH?: string; HOME?: string };
  /** Extra Node.js flags (the benchmark's `--cpu-prof`). */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
}): Promise<ServiceProcess> {
  const { ports } = options;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'cli/start.ts'], {
    cwd: projectRoot,
    env: {
      ...options.baseEnv,
      DATA_DIR: options.dataDir,
      PORT: String(ports.api),
      EMBEDDED_TEMPORAL_PORT: String(ports.temporal),
      EMBEDDED_TEMPORAL_UI_PORT: String(ports.ui),
      EMBEDDED_POSTGRES_PORT: String(ports.postgres),
      EMBEDDED_SMTP_PORT: String(ports.smtp),
      WORKER_METRICS_PORT: String(ports.workerMetrics),
      EMBEDDED_SINGLEKEY_PORT: String(ports.singlekey),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  while (!output.includes('Screening service ready')) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service not ready in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    output: () => output,
    stop() {
      if (child.exitCode !== null) return Promise.resolve(child.exitCode);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      return exited;
    },
  };
}

/**
 * Stops a started service as Ctrl-C would (SIGKILL only if it hangs for 30 s), then ends whatever
 * a killed service could have left behind in its data folder. For test clean-up, also after a
 * failure half-way.
 */
export async function stopServiceAndLeftovers(service: ServiceProcess | undefined, dataDir: string): Promise<void> {
  if (service && service.child.exitCode === null) {
    const hung = setTimeout(() => service.child.kill('SIGKILL'), 30_000);
    await service.stop();
    clearTimeout(hung);
  }
  await stopLeftover(path.join(dataDir, 'temporal', 'temporal.pid'));
  await stopLeftover(path.join(dataDir, 'postgres', 'postgres.pid'), 'SIGINT');
}
