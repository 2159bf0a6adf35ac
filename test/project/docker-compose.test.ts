import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { knownVariables } from '../../src/config';
import { projectRoot } from '../../devkit/temporal-binaries';

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
}

const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');

/** No Docker engine runs here, so the deployment file is checked for what can be checked statically. */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const ownServices = Object.entries(compose.services).filter(([, service]) => service.build === '.');

  it('runs PostgreSQL, Temporal, its Web UI, a mail catcher, the API and the worker', () => {
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'mailpit', 'api', 'worker', 'migrate', 'temporal-setup']) {
      assert.ok(compose.services[name], `service ${name} missing`);
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
      const env = compose.services[name]!.environment!;
      assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
      assert.match(env.DATABASE_URL!, /@postgres:5432\//);
      assert.equal(env.SMTP_URL, 'smtp://mailpit:1025');
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
      assert.ok(compose.services[name]!.healthcheck?.test.length, `${name} has no health check`);
    }
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
