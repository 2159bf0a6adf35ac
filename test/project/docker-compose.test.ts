import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { knownVariables, loadConfig } from '../../src/config';
import { projectRoot } from '../../devkit/temporal-binaries';

type PortSpec = string | { target: number; published?: string | number; host_ip?: string };

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: PortSpec[];
  volumes?: string[];
}

const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');

/** `${NAME}`, `${NAME:-default}`, `${NAME:?message}`… as compose interpolates them; `$${…}` is a literal `$`. */
function interpolations(text: string): { name: string; operator: string; argument: string }[] {
  return [...text.matchAll(/(?<!\$)\$\{([A-Za-z_]\w*)(?:(:?[-?+])([^}]*))?\}/g)].map((m) => ({ name: m[1]!, operator: m[2] ?? '', argument: m[3] ?? '' }));
}

/** The interface a published port binds on the host: `127.0.0.1:8080:8080` → 127.0.0.1; `8080:8080` → every interface. */
function hostIp(port: PortSpec): string {
  if (typeof port === 'object') return port.host_ip ?? '0.0.0.0';
  return /^(\d{1,3}(?:\.\d{1,3}){3}):/.exec(port)?.[1] ?? '0.0.0.0';
}

/** No Docker engine runs here, so the deployment file is checked for what can be checked statically. */
describe('docker-compose.yml', () => {
  const text = read('docker-compose.yml');
  const compose = parse(text, { merge: true }) as { services: Record<string, ComposeService> };
  const services = compose.services;
  const ownServices = Object.entries(services).filter(([, service]) => service.build === '.');
  const env = (name: string) => services[name]!.environment!;

  it('runs PostgreSQL, Temporal, its Web UI, a mail catcher, the API and the worker', () => {
    for (const name of ['postgres', 'temporal-schema', 'temporal', 'temporal-ui', 'mailpit', 'api', 'worker', 'migrate', 'temporal-setup']) {
      assert.ok(services[name], `service ${name} missing`);
    }
  });

  it('sets only variables that src/config.ts knows on the services built from the Dockerfile', () => {
    assert.ok(ownServices.length >= 4);
    for (const [name, service] of ownServices) {
      const unknown = Object.keys(service.environment ?? {}).filter((variable) => !knownVariables.includes(variable));
      assert.deepEqual(unknown, [], `${name} sets variables config.ts ignores`);
    }
  });

  it('points the API and worker at the compose Temporal, PostgreSQL and mail catcher', () => {
    for (const name of ['api', 'worker']) {
      assert.equal(env(name).TEMPORAL_ADDRESS, 'temporal:7233');
      assert.match(env(name).DATABASE_URL!, /@postgres:5432\//);
      assert.equal(env(name).SMTP_URL, 'smtp://mailpit:1025');
    }
  });

  it('starts each built service with a compiled entry point that exists in the sources', () => {
    for (const [name, service] of ownServices) {
      const entry = service.command?.[1];
      assert.match(entry ?? '', /^dist\/cli\/[\w-]+\.js$/, name);
      const source = entry!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      assert.ok(readFileSync(path.join(projectRoot, source)), `${name}: ${source}`);
    }
  });

  it('has health checks on the long-running services', () => {
    for (const name of ['postgres', 'temporal', 'api', 'worker']) {
      assert.ok(services[name]!.healthcheck?.test.length, `${name} has no health check`);
    }
  });

  describe('Temporal', () => {
    const release = /^temporalio\/server:(1\.(\d+)\.\d+)$/.exec(services.temporal?.image ?? '');

    it('runs a pinned recent temporalio/server release, not the deprecated auto-setup image', () => {
      assert.deepEqual(
        Object.entries(services)
          .filter(([, service]) => /auto-setup/.test(service.image ?? ''))
          .map(([name]) => name),
        [],
      );
      assert.ok(release, `temporal runs ${services.temporal?.image}, expected temporalio/server:<x.y.z>`);
      assert.ok(Number(release[2]) >= 29, `temporalio/server ${release[1]} is older than 1.29`);
    });

    it("applies Temporal's PostgreSQL schemas with the admin-tools image of the same release", () => {
      assert.equal(services['temporal-schema']!.image, `temporalio/admin-tools:${release?.[1]}`);
      const script = services['temporal-schema']!.command!.join('\n');
      const schemas = '/etc/temporal/schema/postgresql/v12';
      const steps = ['temporal', 'temporal_visibility'].flatMap((database) => [
        `temporal-sql-tool --db ${database} create-database`,
        `temporal-sql-tool --db ${database} setup-schema -v 0.0`,
        `temporal-sql-tool --db ${database} update-schema -d ${schemas}/${database === 'temporal' ? 'temporal' : 'visibility'}/versioned`,
      ]);
      const positions = steps.map((step) => script.indexOf(step));
      assert.ok(!positions.includes(-1), `missing: ${steps.filter((_, i) => positions[i] === -1).join('; ')}`);
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
        'schema steps out of order',
      );
      assert.deepEqual(env('temporal-schema'), {
        ...env('temporal-schema'),
        SQL_PLUGIN: 'postgres12',
        SQL_HOST: 'postgres',
        SQL_USER: env('postgres').POSTGRES_USER,
      });
    });

    it('starts the server only after the schema job completed successfully', () => {
      assert.deepEqual(services.temporal!.depends_on?.['temporal-schema'], { condition: 'service_completed_successfully' });
      assert.deepEqual(services['temporal-schema']!.depends_on?.postgres, { condition: 'service_healthy' });
    });

    it("configures the server's embedded template for the compose PostgreSQL", () => {
      assert.deepEqual(env('temporal'), {
        ...env('temporal'),
        DB: 'postgres12',
        POSTGRES_SEEDS: 'postgres',
        POSTGRES_USER: env('postgres').POSTGRES_USER,
        POSTGRES_PWD: env('postgres').POSTGRES_PASSWORD,
      });
    });

    it('mounts the dynamic config file the server will not start without', () => {
      const file = env('temporal').DYNAMIC_CONFIG_FILE_PATH;
      const mount = services.temporal!.volumes?.map((volume) => volume.split(':')).find(([, target]) => target === file);
      assert.ok(mount, `no volume mounts ${file}`);
      assert.ok(existsSync(path.join(projectRoot, mount[0]!)), `${mount[0]} missing`);
      assert.ok(parse(read(mount[0]!)), `${mount[0]} is empty`);
    });

    it("creates the namespace with an explicit retention in the service's own one-shot job", () => {
      const setup = services['temporal-setup']!;
      assert.equal(setup.command?.[1], 'dist/cli/temporal-register.js');
      assert.deepEqual(setup.depends_on?.temporal, { condition: 'service_healthy' });
      const retention = /^\$\{TEMPORAL_RETENTION:-([^}]+)\}$/.exec(setup.environment?.TEMPORAL_RETENTION ?? '');
      assert.ok(retention, `TEMPORAL_RETENTION is ${setup.environment?.TEMPORAL_RETENTION}, expected \${TEMPORAL_RETENTION:-<duration>}`);
      assert.equal(loadConfig({ TEMPORAL_RETENTION: retention[1] }).temporal.retention, retention[1]);
    });
  });

  describe('published ports', () => {
    it('publishes the API, the public endpoint, and may do so on every interface', () => {
      const ports = services.api!.ports ?? [];
      assert.ok(
        ports.some((port) => (typeof port === 'object' ? port.target === 3000 : /(^|:)3000$/.test(port))),
        'the API port 3000 is not published',
      );
    });

    it('publishes everything else on 127.0.0.1 only', () => {
      const published = Object.entries(services)
        .filter(([name]) => name !== 'api')
        .flatMap(([name, service]) => (service.ports ?? []).map((port) => ({ name, port, ip: hostIp(port) })));
      assert.ok(published.length >= 3, 'expected the Temporal frontend, Web UI and mail catcher on this host');
      assert.deepEqual(
        published.filter(({ ip }) => ip !== '127.0.0.1'),
        [],
      );
    });
  });

  describe('secrets', () => {
    const required = ['POSTGRES_PASSWORD', 'REPORT_LINK_SECRET', 'SINGLEKEY_WEBHOOK_SECRETS'];

    it('requires POSTGRES_PASSWORD, REPORT_LINK_SECRET and SINGLEKEY_WEBHOOK_SECRETS from the environment, with no fallback', () => {
      for (const name of required) {
        const uses = interpolations(text).filter((use) => use.name === name);
        assert.ok(uses.length > 0, `${name} is never read from the environment`);
        assert.deepEqual(
          uses.filter((use) => use.operator !== ':?'),
          [],
          `${name} must be written \${${name}:?message}`,
        );
      }
    });

    it('gives no secret, token or password a default other than empty', () => {
      const defaulted = interpolations(text).filter((use) => /SECRET|TOKEN|PASSWORD/.test(use.name) && /[-+]/.test(use.operator) && use.argument !== '');
      assert.deepEqual(defaulted, []);
      assert.doesNotMatch(text, /change-?me/i);
    });

    it('takes every secret, token and password from the environment, never as a literal', () => {
      const literal = Object.entries(services).flatMap(([name, service]) =>
        Object.entries(service.environment ?? {})
          .filter(([key, value]) => /SECRET|TOKEN|PASSWORD|PWD/.test(key) && !/^\$\{[A-Za-z_]\w*(?::[-?][^}]*)?\}$/.test(value))
          .map(([key]) => `${name}.${key}`),
      );
      assert.deepEqual(literal, []);
    });

    it('uses one POSTGRES_PASSWORD for PostgreSQL, the schema job, the Temporal server and DATABASE_URL', () => {
      const password = /^\$\{POSTGRES_PASSWORD:\?/;
      assert.match(env('postgres').POSTGRES_PASSWORD!, password);
      assert.match(env('temporal-schema').SQL_PASSWORD!, password);
      assert.match(env('temporal').POSTGRES_PWD!, password);
      for (const [name] of ownServices) assert.match(env(name).DATABASE_URL!, /^postgres:\/\/screenings:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\//, name);
    });
  });
});

describe('Dockerfile', () => {
  const stages = read('Dockerfile')
    .split(/^(?=FROM )/m)
    .filter((stage) => stage.startsWith('FROM '));
  const build = stages[0]!;
  const runtime = stages.at(-1)!;

  it('builds and runs on a Node.js LTS line no older than 24, bookworm-slim', () => {
    assert.equal(stages.length, 2);
    for (const stage of stages) {
      const major = Number(/^FROM node:(\d+)-bookworm-slim\b/.exec(stage)?.[1]);
      // Only even-numbered Node.js releases become LTS.
      assert.ok(major >= 24 && major % 2 === 0, stage.split('\n')[0]);
    }
  });

  it('bundles the workflows at build time and points the worker at that bundle', () => {
    const written = /^RUN node dist\/cli\/bundle-workflows\.js (dist\/[\w./-]+\.js)$/m.exec(build)?.[1];
    assert.ok(written, 'the build stage does not run dist/cli/bundle-workflows.js');
    assert.ok(existsSync(path.join(projectRoot, 'cli', 'bundle-workflows.ts')));
    assert.match(runtime, /^COPY --from=build \/app\/dist \.\/dist$/m);
    assert.match(runtime, /^WORKDIR \/app$/m);
    assert.match(runtime, new RegExp(`^ENV WORKFLOW_BUNDLE=/app/${written.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.ok(knownVariables.includes('WORKFLOW_BUNDLE'));
  });

  it('installs no devDependencies in the runtime image and runs it as the node user', () => {
    const installs = [...runtime.matchAll(/\bnpm ci\b[^\n&]*/g)].map((m) => m[0].trim());
    assert.deepEqual(installs, ['npm ci --omit=dev']);
    assert.equal([...runtime.matchAll(/^USER (\S+)$/gm)].at(-1)?.[1], 'node');
  });
});
