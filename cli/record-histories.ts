/**
 * `npm run histories:record [-- <name> ...]`: re-records the workflow histories under
 * test/fixtures/histories/ (all, or the named screenings, keeping the others); see
 * devkit/history-recorder.ts.
 */
import path from 'node:path';
import { recordedScreenings, recordHistories } from '../devkit/history-recorder';
import { projectRoot } from '../devkit/temporal-binaries';
import { runEntrypoint, UsageError } from '../src/entrypoint';

runEntrypoint(
  async (config) => {
    const names = process.argv.slice(2);
    const unknown = names.filter((name) => !recordedScreenings.includes(name));
    if (unknown.length) throw new UsageError(`no recorded screening named ${unknown.join(', ')}; known: ${recordedScreenings.join(', ')}`);
    await recordHistories(config, names, path.join(projectRoot, 'test', 'fixtures', 'histories'));
  },
  { tool: true },
);
