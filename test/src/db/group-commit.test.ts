import assert from 'node:assert/strict';
import { groupCommit } from '../../../src/db/group-commit';

/** A writer that records each statement's items and finishes it when told to. */
function heldWriter(refuse: (item: number) => boolean = () => false) {
  const statements: number[][] = [];
  const running: (() => void)[] = [];
  const write = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      statements.push(items);
      running.push(() => (items.some(refuse) ? reject(new Error(`refused ${items.join(',')}`)) : resolve()));
    });
  /** Finishes every statement running now, then lets the batcher start the next ones. */
  const finishRunning = async () => {
    for (const finish of running.splice(0)) finish();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { statements, write, finishRunning };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('group commit (the inbox’s enqueue)', () => {
  it('writes an item alone and at once when nothing else is waiting', async () => {
    const writer = heldWriter();
    const add = groupCommit(writer.write, { maxBatch: 100, maxInFlight: 2 });
    const done = add(1);
    await turn();
    assert.deepEqual(writer.statements, [[1]]);
    await writer.finishRunning();
    await done;
  });

  it('sends what arrives while the statement slots are busy together, in arrival order and at most maxBatch at a time', async () => {
    const writer = heldWriter();
    const add = groupCommit(writer.write, { maxBatch: 3, maxInFlight: 1 });
    const all = [add(1)];
    await turn();
    all.push(add(2), add(3), add(4), add(5));
    await turn();
    assert.deepEqual(writer.statements, [[1]], 'the others wait for the slot');
    await writer.finishRunning();
    assert.deepEqual(writer.statements, [[1], [2, 3, 4]]);
    await writer.finishRunning();
    assert.deepEqual(writer.statements, [[1], [2, 3, 4], [5]]);
    await writer.finishRunning();
    await Promise.all(all);
  });

  it('writes a refused batch again item by item, so only the refused item fails', async () => {
    const writer = heldWriter((item) => item === 3);
    const add = groupCommit(writer.write, { maxBatch: 10, maxInFlight: 1 });
    const first = add(1);
    await turn();
    const rest = [add(2), add(3), add(4)].map((p) =>
      p.then(
        () => 'written',
        (e: Error) => e.message,
      ),
    );
    await turn();
    await writer.finishRunning(); // [1]
    await writer.finishRunning(); // [2, 3, 4] refused, then each alone
    await writer.finishRunning();
    await first;
    assert.deepEqual(await Promise.all(rest), ['written', 'refused 3', 'written']);
    assert.deepEqual(writer.statements, [[1], [2, 3, 4], [2], [3], [4]]);
  });
});
