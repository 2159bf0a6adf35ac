import { DEFAULT_TASK_QUEUE } from '../workflows/messages';
import { inboxModes, type InboxMode } from './webhook/inbox';
import { msToNumber, type StringValue } from '@temporalio/common';
import type { Metadata, TLSConfig } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type CodecKey, parseCodecKeys } from './temporal/payload-codec';
import { z } from 'zod';

/**
 * The service's whole configuration. This is the only module that reads `process.env`;
 * everything else receives a `Config`.
 */

/** A duration in the syntax Temporal's TypeScript SDK accepts (`90s`, `15 minutes`, `24h`, `7d`). */
const duration = z
  .string()
  .trim()
  .refine((value) => parseDuration(value) !== undefined, {
    message: 'expected a positive duration such as 90s, 15m, 24h or 7d',
  })
  .transform((value) => value as StringValue);

const durationList = z
  .string()
  .trim()
  .transform((value) => value.split(',').map((part) => part.trim()))
  .refine((parts) => parts.every((part) => parseDuration(part) !== undefined), {
    message: 'expected a comma-separated list of durations such as 24h,72h',
  })
  .transform((parts) => parts as StringValue[]);

const port = z.coerce.number().int().min(1).max(65535);
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));
const optionalUrl = (protocols: string[]) =>
  optionalText.refine((value) => value === undefined || hasProtocol(value, protocols), {
    message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  });

const envSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  PORT: port.default(3000),

  METRICS_TOKEN: optionalText,
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  // Read by Temporal's environment configuration (@temporalio/envconfig), listed here so that they are known variables.
  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: optionalText,
  TEMPORAL_API_KEY: optionalText,
  TEMPORAL_PROFILE: optionalText,
  TEMPORAL_CONFIG_FILE: optionalText,
  TEMPORAL_TLS: optionalText,
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalText,
  TEMPORAL_TLS_CLIENT_CERT_DATA: optionalText,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalText,
  TEMPORAL_TLS_CLIENT_KEY_DATA: optionalText,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalText,
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: optionalText,
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: optionalText,
  TEMPORAL_RETENTION: duration.default('30d' as StringValue),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default(DEFAULT_TASK_QUEUE),
  WORKFLOW_BUNDLE: optionalText,
  PAYLOAD_CODEC_KEYS: optionalText,
  SCORE_SEARCH_ATTRIBUTE: z.enum(['true', 'false']).default('false'),
  PERSONAL_DATA_RETENTION: duration.default('365d' as StringValue),
  CODEC_SERVER_TOKEN: optionalText,
  PLATFORM_WEBHOOK_URL: optionalUrl(['http:', 'https:']),
  // Checked in loadConfig, never in this schema: a schema error quotes the value it refused.
  PLATFORM_WEBHOOK_SECRET: optionalText,
  PLATFORM_API_KEYS: optionalText.transform((value) =>
    (value ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => ({ key: entry.replace(/:personal$/, ''), personal: entry.endsWith(':personal') })),
  ),
  CODEC_CORS_ORIGINS: optionalText.transform((value) =>
    (value ?? '')
      .split(',')
      .map((origin) => origin.trim().replace(/\/+$/, ''))
      .filter(Boolean),
  ),
  PAYLOAD_CODEC_KEYS_FILE: optionalText,
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  SMTP_URL: optionalUrl(['smtp:', 'smtps:']),
  MAIL_FROM: z.string().trim().min(3).default('SingleKey screenings <screenings@localhost>'),
  ALERT_EMAIL: z.email().default('screening-alerts@localhost'),

  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  REPORT_LINK_SECRET: optionalText,
  REPORT_LINK_TTL: duration.default('30d' as StringValue),
  SINGLEKEY_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  SINGLEKEY_API_TOKEN: optionalText,
  SINGLEKEY_WEBHOOK_SECRETS: optionalText.transform((value) =>
    (value ?? '')
      .split(',')
      .map((secret) => secret.trim())
      .filter((secret) => secret !== ''),
  ),
  SINGLEKEY_HANDSHAKE_TOKEN: optionalText,
  WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),

  REMINDER_SCHEDULE: durationList.default(['24h', '72h'] as StringValue[]),
  SCREENING_EXPIRY: duration.default('7d' as StringValue),
  COMPLETION_SLA: duration.default('2h' as StringValue),
  SUBMITTED_MAX_AGE: duration.default('7d' as StringValue),
  DEDUPE_WINDOW: duration.default('15h' as StringValue),
  WEBHOOK_INBOX: z.enum(inboxModes).default('always'),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).default(500),

  DATA_DIR: z.string().trim().min(1).default('data'),
  EMBEDDED_TEMPORAL_PORT: port.default(7233),
  EMBEDDED_TEMPORAL_UI_PORT: port.default(8233),
  EMBEDDED_POSTGRES_PORT: port.default(5433),
  EMBEDDED_SMTP_PORT: port.default(2525),
  EMBEDDED_SINGLEKEY_PORT: port.default(8400),
  TEMPORAL_CLI_PATH: optionalText,
  TEMPORAL_TEST_SERVER_PATH: optionalText,
  PATH: z.string().default(''),
});

export type Env = z.input<typeof envSchema>;

/** How a client or worker connects beyond its address: TLS (certificates, server name) and Temporal Cloud's API key. */
export interface TemporalConnection {
  tls?: TLSConfig | boolean | null;
  apiKey?: string;
  metadata?: Metadata;
}
type Parsed = z.output<typeof envSchema>;

export interface Config {
  /** Unset: `info` for the service, `warn` for command-line tools (see `runEntrypoint`). */
  logLevel?: NonNullable<Parsed['LOG_LEVEL']>;
  http: { host: string; port: number };
  /** WEBHOOK_INBOX: `always` commits each delivery to PostgreSQL before the 200, `fallback` only when Temporal does not answer in 2 s, `off` never. */
  webhookInbox: InboxMode;
  /** WORKER_MAX_CACHED_WORKFLOWS: screenings a worker keeps in memory between tasks (others are replayed from history when they wake). */
  workerMaxCachedWorkflows: number;
  /** Bearer token `/metrics` requires when set. */
  metricsToken?: string;
  /** Port of the worker's Prometheus exporter (Temporal SDK and activity metrics); 0 disables it. */
  workerMetricsPort: number;
  /**
   * Where Temporal is and how to reach it, from Temporal's own environment configuration (the
   * `TEMPORAL_*` variables over a profile of `TEMPORAL_CONFIG_FILE` or ~/.config/temporalio/temporal.toml),
   * as the Temporal CLI reads them. `retention`: how long the namespace keeps a closed screening's
   * history (set by `npm run temporal:register`). `workflowBundle`: absolute path of a prebuilt
   * workflow bundle (`npm run bundle:workflows`, the Docker image); unset: the worker bundles
   * workflows/ as it starts.
   */
  temporal: {
    address?: string;
    namespace: string;
    taskQueue: string;
    retention: StringValue;
    workflowBundle?: string;
    connection: TemporalConnection;
    /** PERSONAL_DATA_RETENTION: how long a screening's personal data and archived reports are kept after it ends (the daily clean-up). */
    personalDataRetention: StringValue;
    /** SCORE_SEARCH_ATTRIBUTE: also publish the credit score as the `SingleKeyScore` search attribute (off: it is credit data). */
    scoreSearchAttribute: boolean;
    /** Keys of the payload codec (PAYLOAD_CODEC_KEYS or PAYLOAD_CODEC_KEYS_FILE), the first encrypting; `npm start` generates one. */
    payloadCodecKeys?: CodecKey[];
  };
  /**
   * The codec server (`/codec/encode`, `/codec/decode` on the API): the bearer token it requires,
   * the Web UI origins a browser may call it from, and, set only by `npm start`, whether this
   * machine may call it without the token (the embedded Web UI).
   */
  codecServer: { token?: string; corsOrigins: string[]; openToLoopback: boolean };
  /**
   * PLATFORM_WEBHOOK_URL and PLATFORM_WEBHOOK_SECRET: where the status webhooks go (Standard
   * Webhooks) and the `whsec_` secret they are signed with; no URL: none are sent. `npm start`
   * points an unset URL at the stand-in's receiver, with a development secret.
   */
  platformWebhook: { url?: string; secret?: string };
  /** PLATFORM_API_KEYS: keys of the rental platform's API (`key` or `key:personal`, the latter may read contacts); none: the API is off. */
  platformKeys: { key: string; personal: boolean }[];
  databaseUrl?: string;
  smtpUrl?: string;
  mail: { from: string; alertEmail: string };
  reportLinks: {
    /** Base of links in e-mails; default http://localhost:<PORT>. */
    publicBaseUrl: string;
    /** HMAC key of report links; `npm start` generates one when unset. */
    secret?: string;
    ttl: StringValue;
  };
  singlekey: {
    /** Unset: `npm start` runs the local stand-in; the API and worker alone use SingleKey's sandbox. */
    apiUrl?: string;
    apiToken?: string;
    /** Newest first; a delivery signed with any of them is accepted. */
    webhookSecrets: string[];
    handshakeToken?: string;
    toleranceSeconds: number;
  };
  lifecycle: {
    reminderSchedule: StringValue[];
    screeningExpiry: StringValue;
    completionSla: StringValue;
    submittedMaxAge: StringValue;
    dedupeWindow: StringValue;
  };
  embedded: {
    dataDir: string;
    temporalPort: number;
    temporalUiPort: number;
    postgresPort: number;
    smtpPort: number;
    singlekeyPort: number;
  };
  binaries: { temporalCli?: string; temporalTestServer?: string; searchPath: string };
}

/** Thrown at start-up; its message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (by default `process.env`) into a `Config`, or throws `ConfigError`. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const value = env[name];
        return `${name}: ${issue.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`;
      }),
    );
  }
  const e = result.data;
  const temporal = temporalConnection(env);
  const payloadCodecKeys = codecKeys(e.PAYLOAD_CODEC_KEYS, e.PAYLOAD_CODEC_KEYS_FILE);
  const platformWebhook = platformWebhookTarget(e.PLATFORM_WEBHOOK_URL, e.PLATFORM_WEBHOOK_SECRET);
  return {
    logLevel: e.LOG_LEVEL,
    http: { host: e.HOST, port: e.PORT },
    webhookInbox: e.WEBHOOK_INBOX,
    workerMaxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    metricsToken: e.METRICS_TOKEN,
    workerMetricsPort: e.WORKER_METRICS_PORT,
    temporal: {
      address: temporal.address,
      namespace: temporal.namespace,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      retention: e.TEMPORAL_RETENTION,
      workflowBundle: e.WORKFLOW_BUNDLE === undefined ? undefined : path.resolve(e.WORKFLOW_BUNDLE),
      connection: temporal.connection,
      payloadCodecKeys,
      scoreSearchAttribute: e.SCORE_SEARCH_ATTRIBUTE === 'true',
      personalDataRetention: e.PERSONAL_DATA_RETENTION,
    },
    codecServer: { token: e.CODEC_SERVER_TOKEN, corsOrigins: e.CODEC_CORS_ORIGINS, openToLoopback: false },
    platformKeys: e.PLATFORM_API_KEYS,
    platformWebhook,
    databaseUrl: e.DATABASE_URL,
    smtpUrl: e.SMTP_URL,
    mail: { from: e.MAIL_FROM, alertEmail: e.ALERT_EMAIL },
    reportLinks: {
      publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
      secret: e.REPORT_LINK_SECRET,
      ttl: e.REPORT_LINK_TTL,
    },
    singlekey: {
      apiUrl: e.SINGLEKEY_API_URL?.replace(/\/+$/, ''),
      apiToken: e.SINGLEKEY_API_TOKEN,
      webhookSecrets: e.SINGLEKEY_WEBHOOK_SECRETS,
      handshakeToken: e.SINGLEKEY_HANDSHAKE_TOKEN,
      toleranceSeconds: e.WEBHOOK_TOLERANCE_SECONDS,
    },
    lifecycle: {
      reminderSchedule: e.REMINDER_SCHEDULE,
      screeningExpiry: e.SCREENING_EXPIRY,
      completionSla: e.COMPLETION_SLA,
      submittedMaxAge: e.SUBMITTED_MAX_AGE,
      dedupeWindow: e.DEDUPE_WINDOW,
    },
    embedded: {
      dataDir: path.resolve(e.DATA_DIR),
      temporalPort: e.EMBEDDED_TEMPORAL_PORT,
      temporalUiPort: e.EMBEDDED_TEMPORAL_UI_PORT,
      postgresPort: e.EMBEDDED_POSTGRES_PORT,
      smtpPort: e.EMBEDDED_SMTP_PORT,
      singlekeyPort: e.EMBEDDED_SINGLEKEY_PORT,
    },
    binaries: { temporalCli: e.TEMPORAL_CLI_PATH, temporalTestServer: e.TEMPORAL_TEST_SERVER_PATH, searchPath: e.PATH },
  };
}

/**
 * Temporal's environment configuration (`@temporalio/envconfig`) over the `TEMPORAL_*` variables of
 * `env`: the same profile, variables and TLS files the Temporal CLI uses, so one set of settings
 * reaches the dev server, a self-hosted cluster with mTLS, or Temporal Cloud with an API key.
 */
function temporalConnection(env: Record<string, string | undefined>): { address?: string; namespace: string; connection: TemporalConnection } {
  const variables = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith('TEMPORAL_') && !!entry[1]?.trim()),
  );
  let loaded;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: variables, profile: variables.TEMPORAL_PROFILE });
  } catch (error) {
    throw new ConfigError([`Temporal connection settings (TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE, TEMPORAL_TLS_*): ${(error as Error).message}`]);
  }
  const { address, tls, apiKey, metadata } = loaded.connectionOptions;
  return {
    address: address || undefined,
    namespace: loaded.namespace || 'default',
    connection: { tls, apiKey: typeof apiKey === 'string' ? apiKey : undefined, metadata },
  };
}

/** The codec keys from the variable or the file it names (a mounted secret); errors name the variable, never a key. */
function codecKeys(text: string | undefined, file: string | undefined): CodecKey[] | undefined {
  if (text !== undefined && file !== undefined) throw new ConfigError(['PAYLOAD_CODEC_KEYS / PAYLOAD_CODEC_KEYS_FILE: set one, not both']);
  const variable = file === undefined ? 'PAYLOAD_CODEC_KEYS' : 'PAYLOAD_CODEC_KEYS_FILE';
  try {
    if (file !== undefined) return parseCodecKeys(readFileSync(file, 'utf8'));
    return text === undefined ? undefined : parseCodecKeys(text);
  } catch (error) {
    throw new ConfigError([`${variable}: ${(error as Error).message}`]);
  }
}

/**
 * The status webhooks' target: a secret is required once a URL is set, and must be written as
 * Standard Webhooks write it (`whsec_` and base64), or the signing library could not use it.
 * Errors name the variable, never the value; its strength is checked in `assertStrongSecrets`.
 */
function platformWebhookTarget(url: string | undefined, secret: string | undefined): { url?: string; secret?: string } {
  if (url !== undefined && secret === undefined) {
    throw new ConfigError([
      'PLATFORM_WEBHOOK_SECRET: required when PLATFORM_WEBHOOK_URL is set (whsec_ and 24+ random bytes in base64: whsec_$(openssl rand -base64 32))',
    ]);
  }
  if (secret !== undefined && standardWebhookKey(secret) === undefined) {
    throw new ConfigError(['PLATFORM_WEBHOOK_SECRET: expected whsec_ followed by base64 (whsec_$(openssl rand -base64 32))']);
  }
  return { url, secret };
}

/** The key bytes of a Standard Webhooks secret (`whsec_<base64>`), or undefined when it is not written so. */
function standardWebhookKey(secret: string): Buffer | undefined {
  const match = /^whsec_((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)$/.exec(secret);
  return match?.[1] ? Buffer.from(match[1], 'base64') : undefined;
}

/** The Temporal settings of one profile of a profile file (`npm run cluster` writes one), read as `loadConfig` reads TEMPORAL_CONFIG_FILE. */
export function temporalProfile(file: string, profile: string): { address?: string; namespace: string; connection: TemporalConnection } {
  return temporalConnection({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: profile });
}

/** SingleKey's public sandbox: where the API and worker alone go when SINGLEKEY_API_URL is unset. */
export const SINGLEKEY_SANDBOX_URL = 'https://sandbox.singlekey.com';

/** The variable names `loadConfig` understands (used to check deployment files). */
export const knownVariables: readonly string[] = Object.keys(envSchema.shape);

/** Secrets shorter than this are refused at start-up: 32 characters of a random hex or base64 string carry 128 bits or more. */
export const MIN_SECRET_LENGTH = 32;

/** Standard Webhooks' minimum for a signing secret: 24 random bytes (192 bits). */
export const MIN_WEBHOOK_SECRET_BYTES = 24;

/**
 * Values that have appeared in examples and old deployment files (docker-compose.yml's fallbacks),
 * and the Standard Webhooks test vector's secret, quoted in many libraries' documentation: public,
 * so never secret.
 */
const publicExamples = new Set(['change-me-before-use', 'change-me-too', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']);

/**
 * Fails naming every weak secret: webhook secrets, the handshake token and the report-link secret
 * must be at least MIN_SECRET_LENGTH characters and not a published example; the platform webhook
 * secret must hold MIN_WEBHOOK_SECRET_BYTES bytes and not be a published example. Called by every
 * process that serves (after `npm start` has generated its development secrets, which are strong).
 */
export function assertStrongSecrets(config: Config): void {
  const problems: string[] = [];
  const check = (variable: string, value: string | undefined) => {
    if (value === undefined) return;
    if (publicExamples.has(value) || /change-?me/i.test(value))
      problems.push(`${variable}: a published example value, not a secret; generate one (openssl rand -hex 32)`);
    else if (value.length < MIN_SECRET_LENGTH)
      problems.push(`${variable}: ${value.length} characters, at least ${MIN_SECRET_LENGTH} required (openssl rand -hex 32)`);
  };
  config.singlekey.webhookSecrets.forEach((secret, i) => check(`SINGLEKEY_WEBHOOK_SECRETS (secret ${i + 1})`, secret));
  check('SINGLEKEY_HANDSHAKE_TOKEN', config.singlekey.handshakeToken);
  check('REPORT_LINK_SECRET', config.reportLinks.secret);
  check('CODEC_SERVER_TOKEN', config.codecServer.token);
  config.platformKeys.forEach(({ key }, i) => check(`PLATFORM_API_KEYS (key ${i + 1})`, key));
  const platformSecret = config.platformWebhook.secret;
  if (platformSecret !== undefined) {
    const bytes = standardWebhookKey(platformSecret)?.length ?? 0;
    if (publicExamples.has(platformSecret))
      problems.push('PLATFORM_WEBHOOK_SECRET: a published example value, not a secret; generate one (whsec_$(openssl rand -base64 32))');
    else if (bytes < MIN_WEBHOOK_SECRET_BYTES)
      problems.push(`PLATFORM_WEBHOOK_SECRET: ${bytes} bytes after whsec_, at least ${MIN_WEBHOOK_SECRET_BYTES} required (whsec_$(openssl rand -base64 32))`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Fails unless deliveries can be authenticated; the embedded mode supplies a secret before calling this. */
export function assertWebhookAuthConfigured(config: Config): void {
  if (config.singlekey.webhookSecrets.length === 0 && !config.singlekey.handshakeToken) {
    throw new ConfigError(['SINGLEKEY_WEBHOOK_SECRETS / SINGLEKEY_HANDSHAKE_TOKEN: set at least one, or every delivery would be refused']);
  }
}

function parseDuration(value: string): number | undefined {
  try {
    const millis = msToNumber(value as StringValue);
    return Number.isFinite(millis) && millis > 0 ? millis : undefined;
  } catch {
    return undefined;
  }
}

function hasProtocol(value: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** For the separate entry points (`npm run api` / `worker`), which never start embedded parts. */
export function requireSetting<T>(value: T | undefined, variable: string, purpose: string): T {
  if (value === undefined) throw new ConfigError([`${variable}: required by ${purpose} (only \`npm start\` starts an embedded one)`]);
  return value;
}
