import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { knownVariables } from '../../src/config';
import { projectRoot } from '../../src/temporal-binaries';

describe('documentation', () => {
  const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');
  // PATH is read only to find the Temporal binaries; it needs no documentation of its own.
  const documented = knownVariables.filter((name) => name !== 'PATH');

  it('documents every configuration variable in the README table', () => {
    const readme = read('README.md');
    assert.deepEqual(documented.filter((name) => !readme.includes(`| \`${name}\` |`)), []);
  });

  it('lists every configuration variable in .env.example', () => {
    const example = read('.env.example');
    assert.deepEqual(documented.filter((name) => !new RegExp(`^# ${name}=`, 'm').test(example)), []);
  });

  it('makes .ci/run execute the README test command', () => {
    const readme = read('README.md');
    const testCommand = /^(npm ci && npm test)\b/m.exec(readme)?.[1];
    assert.ok(testCommand, 'README has no test command');
    assert.match(read('.ci/run'), new RegExp(`^${testCommand.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  });
});
