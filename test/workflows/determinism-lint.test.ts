import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';
import { projectRoot } from '../../devkit/temporal-binaries';

/** The lint rule that keeps I/O out of workflow code reports what it should, where it should. */
describe('workflow determinism lint rule', () => {
  // The probes exist only as text, so the type-aware parser must accept them outside tsconfig.json.
  const eslint = new ESLint({
    cwd: projectRoot,
    overrideConfig: {
      languageOptions: { parserOptions: { projectService: { allowDefaultProject: ['*/lint-probe.ts'] } } },
    },
  });

  async function restrictedImports(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(projectRoot, file) });
    return (result?.messages ?? [])
      .filter((message) => message.ruleId === '@typescript-eslint/no-restricted-imports')
      .map((message) => code.split('\n')[message.line - 1]!.trim());
  }

  it('rejects Node built-ins, I/O libraries and non-workflow Temporal packages in workflows/', async () => {
    const code = [
      "import { readFileSync } from 'node:fs';",
      "import knex from 'knex';",
      "import { Client } from '@temporalio/client';",
      "import { Context } from '@temporalio/activity';",
      "import { sleep } from '@temporalio/workflow';",
      'export const used = [readFileSync, knex, Client, Context, sleep];',
    ].join('\n');
    assert.deepEqual(await restrictedImports('workflows/lint-probe.ts', code), [
      "import { readFileSync } from 'node:fs';",
      "import knex from 'knex';",
      "import { Client } from '@temporalio/client';",
      "import { Context } from '@temporalio/activity';",
    ]);
  });

  it('allows type-only imports of activities and the same imports outside workflows/', async () => {
    assert.deepEqual(await restrictedImports('workflows/lint-probe.ts', "import type { Knex } from 'knex';\nexport type K = Knex;"), []);
    assert.deepEqual(await restrictedImports('src/lint-probe.ts', "import knex from 'knex';\nexport const k = knex;"), []);
  });
});
