import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { knownVariables } from '../../src/config';
import { scenarios } from '../../devkit/stand-in/scenarios';
import { projectRoot } from '../../devkit/temporal-binaries';

describe('documentation', () => {
  const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');
  // PATH is read only to find the Temporal binaries; it needs no documentation of its own.
  const documented = knownVariables.filter((name) => name !== 'PATH');

  it('documents every configuration variable in the README table', () => {
    const readme = read('README.md');
    assert.deepEqual(
      documented.filter((name) => !readme.includes(`| \`${name}\` |`)),
      [],
    );
  });

  it('lists every configuration variable in .env.example', () => {
    const example = read('.env.example');
    assert.deepEqual(
      documented.filter((name) => !new RegExp(`^# ${name}=`, 'm').test(example)),
      [],
    );
  });

  it('makes .ci/run execute the README test command', () => {
    const readme = read('README.md');
    const testCommand = /^(npm ci && npm test)\b/m.exec(readme)?.[1];
    assert.ok(testCommand, 'README has no test command');
    assert.match(read('.ci/run'), new RegExp(`^${testCommand.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  });

  it('lists every simulator scenario in the README with the end state the scenario checks', () => {
    const rows = [...read('README.md').matchAll(/^\| `([a-z-]+)` \| [^|]+ \| `([a-z_]+)` \|/gm)].map((m) => [m[1], m[2]]);
    const scenarioRows = rows.filter(([name]) => name! in scenarios);
    assert.deepEqual(
      scenarioRows,
      Object.values(scenarios).map((scenario) => [scenario.name, scenario.expectedStatus]),
    );
  });

  it('keeps the first screen of the README to the two newcomer commands', () => {
    const firstScreen = read('README.md').split('\n').slice(0, 30).join('\n');
    const blocks = [...firstScreen.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
    const commands = [...blocks.matchAll(/\bnpm (?:ci|start|test|run)\b[^\n#]*/g)].map((m) => m[0].trim());
    assert.deepEqual(commands, ['npm ci && npm start', 'npm ci && npm test']);
  });

  describe('Layout', () => {
    const layout = /^## Layout\n[\s\S]*?```\n([\s\S]*?)```/m.exec(read('README.md'))?.[1] ?? '';
    const named = [...layout.matchAll(/^([a-z][\w.-]*)\/\s/gm)].map((m) => m[1]!);

    it('names only top-level folders that exist', () => {
      assert.ok(named.length >= 5, `the README's Layout block names ${named.length} folders`);
      assert.deepEqual(
        named.filter((folder) => !existsSync(path.join(projectRoot, folder)) || !statSync(path.join(projectRoot, folder)).isDirectory()),
        [],
      );
    });

    it('names every top-level folder the repository tracks', () => {
      const tracked = execFileSync('git', ['ls-files'], { cwd: projectRoot, encoding: 'utf8' }).split('\n');
      const folders = [...new Set(tracked.filter((file) => file.includes('/') && !file.startsWith('.')).map((file) => file.split('/')[0]!))];
      assert.deepEqual(folders.filter((folder) => !named.includes(folder)).sort(), []);
    });
  });
});
