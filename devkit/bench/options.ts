import { parseArgs } from 'node:util';

/** What `npm run bench` was asked to do, parsed and checked. */
export interface BenchOptions {
  /** Length of each closed-loop phase (the generator check is capped at 5 s). */
  durationMs: number;
  /** Parallel requests in the closed-loop phases. */
  concurrency: number;
  /** Screenings played through their whole lifecycle in the end-to-end phase. */
  screenings: number;
  /** Deliveries sent as fast as possible in the burst phase. */
  burst: number;
  /** Screenings left open when the cost phase measures the service. */
  open: number;
  /** Deliveries per second in the end-to-end phase; unset: half the measured ingest rate. */
  e2eRate?: number;
  /** `--knee`: also run the end-to-end phase at each of these rates, to find where p99 passes 1 s. */
  knee: number[];
  /** Folder for V8 CPU profiles of the service process (main thread and workflow threads). */
  profile?: string;
  /** Also measure ceiling, ingest and end to end on the cluster profile (`npm run cluster`). */
  cluster: boolean;
}

export const usage = [
  'usage: npm run bench -- [options]',
  '',
  '  --duration SECONDS   length of each closed-loop phase (default 10)',
  '  --concurrency N      parallel requests in the closed-loop phases (default 16)',
  '  --screenings N       lifecycles in the end-to-end phase (default 200)',
  '  --burst N            deliveries in the burst phase (default 5000)',
  '  --open N             open screenings when the cost is measured (default 10000)',
  '  --e2e-rate N         deliveries per second in the end-to-end phase (default half the ingest rate)',
  '  --knee R1,R2,...     also run the end-to-end phase at each rate (deliveries/s): where does p99 pass 1 s?',
  '  --profile DIR        write V8 CPU profiles of the service to DIR',
  '  --cluster            also run ceiling, ingest and end to end on the cluster profile (real Temporal server, mTLS)',
].join('\n');

/** Parses the command line; `undefined` when `--help` was asked for. Throws on a bad or unknown option. */
export function parseBenchOptions(argv: string[] = process.argv.slice(2)): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '16' },
      screenings: { type: 'string', default: '200' },
      burst: { type: 'string', default: '5000' },
      open: { type: 'string', default: '10000' },
      'e2e-rate': { type: 'string' },
      knee: { type: 'string' },
      profile: { type: 'string' },
      cluster: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const positive = (name: string, text: string, whole = true) => {
    const value = Number(text);
    if (!(value > 0) || !Number.isFinite(value) || (whole && !Number.isInteger(value))) {
      throw new Error(`--${name} must be a positive ${whole ? 'whole ' : ''}number, not "${text}"`);
    }
    return value;
  };
  return {
    durationMs: positive('duration', values.duration, false) * 1000,
    concurrency: positive('concurrency', values.concurrency),
    screenings: positive('screenings', values.screenings),
    burst: positive('burst', values.burst),
    open: positive('open', values.open),
    e2eRate: values['e2e-rate'] ? positive('e2e-rate', values['e2e-rate'], false) : undefined,
    knee: values.knee ? values.knee.split(',').map((rate) => positive('knee', rate.trim(), false)) : [],
    profile: values.profile,
    cluster: values.cluster,
  };
}
