import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { findBinary, pinnedLocation } from '../../devkit/temporal-binaries';
import { testEnvironment } from '../support/environment';

describe('Temporal binary resolution', () => {
  let dir: string;

  before(() => {
    dir = path.join(testEnvironment().root, 'fake-bin');
    mkdirSync(dir, { recursive: true });
    for (const name of ['temporal', 'not-executable']) writeFileSync(path.join(dir, name), '#!/bin/sh\n');
    chmodSync(path.join(dir, 'temporal'), 0o755);
  });

  it('prefers the path named by TEMPORAL_CLI_PATH', () => {
    const config = loadConfig({ TEMPORAL_CLI_PATH: path.join(dir, 'temporal'), PATH: '/usr/bin' });
    assert.deepEqual(findBinary('cli', config), { path: path.join(dir, 'temporal'), source: 'environment' });
  });

  it('fails with the variable name when TEMPORAL_CLI_PATH is not executable', () => {
    const config = loadConfig({ TEMPORAL_CLI_PATH: path.join(dir, 'not-executable') });
    assert.throws(() => findBinary('cli', config), /TEMPORAL_CLI_PATH=.*not an executable/);
  });

  it('uses a temporal found on PATH before the pinned copy', () => {
    const config = loadConfig({ PATH: `/nonexistent:${dir}` });
    assert.deepEqual(findBinary('cli', config), { path: path.join(dir, 'temporal'), source: 'PATH' });
  });

  it('falls back to the pinned copy installed by npm run setup:temporal', () => {
    const found = findBinary('testServer', loadConfig({ PATH: '/nonexistent' }));
    assert.deepEqual(found, { path: pinnedLocation('testServer').file, source: 'pinned' });
  });
});
