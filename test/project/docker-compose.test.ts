import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
