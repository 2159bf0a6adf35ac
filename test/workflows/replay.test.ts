import { Worker } from '@temporalio/worker';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = path.join(__dirname, '..', 'fixtures', 'histories');

/**
 * Replays recorded screening histories against the current workflow code: a change that would make
 * a running screening non-deterministic fails here, not in production. See README, "Changing the workflow".
 */
describe('workflow replay of recorded histories', () => {
  const files = readdirSync(dir).filter((file) => file.endsWith('.json'));

  it('has recorded histories to replay', () => {
    assert.ok(files.length >= 5, `only ${files.length} histories in ${dir}`);
  });

  it('has histories that hand over at continue-as-new, and the runs that take over', () => {
    const histories = files.map((file) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { events: Record<string, unknown>[] });
    const handingOver = histories.filter(({ events }) => events.at(-1)?.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW');
    const takingOver = histories.filter(
      ({ events }) => (events[0]?.workflowExecutionStartedEventAttributes as { continuedExecutionRunId?: string } | undefined)?.continuedExecutionRunId,
    );
    assert.ok(handingOver.length >= 2, `${handingOver.length} histories end in continue-as-new`);
    assert.ok(takingOver.length >= 2, `${takingOver.length} histories start from a hand-over`);
  });

  it('replays every history without a determinism error', async () => {
    const histories = files.map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as unknown,
    }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: require.resolve('../../workflows') }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.deepEqual(failures, []);
  });
});
