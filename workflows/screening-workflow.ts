import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  log,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { type CarriedState, parseCarriedState } from './carried-state';
import { durationsOf } from './durations';
import { bookkeeping, resultOfFailure, runEffect } from './effects';
import {
  type Effect,
  effectKey,
  isEmail,
  landlordDirectoryChangedSignal,
  screeningEventSignal,
  type ScreeningView,
  type ScreeningWorkflowInput,
  statusQuery,
} from './messages';
import { countTransition } from './screening-metrics';
import { type Deadline, inputForDeadline, nextDeadline } from './screening-deadlines';
import { initialState, type MachineInput, snapshotOf, type ScreeningState, stateFromSnapshot, transition } from './screening-machine';
import { attributesKeyOf, detailsOf, indexedAttributesOf, searchAttributesOf } from './screening-publication';
import { viewOf } from './screening-view';

/** How long continue-as-new waits for e-mails in flight: the e-mail activity's timeout plus a retry. */
const HAND_OVER_MAIL_WAIT = '1 minute';

/**
 * One screening, for its whole life: a thin interpreter of the pure state machine. It applies each
 * input (delivery, timer, effect outcome) through `transition`, starts and cancels the effects the
 * machine names, publishes the screening when it changed, sleeps until the next input or deadline,
 * and stays open for the dedupe window after a terminal status so SingleKey's redeliveries land
 * here (and change nothing) instead of starting over.
 */
export async function screeningWorkflow(input: ScreeningWorkflowInput): Promise<ScreeningView> {
  const durations = durationsOf(input.lifecycle);
  const carried = input.carried === undefined ? undefined : parseCarriedState(input.carried);
  const options = { notifyPlatform: input.notifyPlatform };
  let state: ScreeningState = carried?.state ?? (input.reopened ? stateFromSnapshot(input.reopened, options) : initialState(input.purchaseToken, options));
  const queue: MachineInput[] = carried ? [{ kind: 'resumed' }] : [];
  /** Running effects by key, each in its own scope so the machine can cancel it. */
  const scopes = new Map<string, CancellationScope>();
  /** Everything started and not finished: the workflow closes only once it is empty. */
  const background = new Set<Promise<unknown>>();
  /** The timer of the next deadline, kept while that deadline stays the same (one timer per deadline, not per wake). */
  let timer: { key: string; scope: CancellationScope; fired: boolean } | undefined;
  /**
   * The search attributes Temporal holds for this run, so that a publish upserts (a history event)
   * only what changed. A run starts with some: a new screening's are those of its first delivery
   * (the signaler gives them at the start), a run continued as new inherits the previous run's.
   */
  let attributesUpserted = attributesKeyOf(indexedAttributesOf(workflowInfo().typedSearchAttributes));

  setHandler(screeningEventSignal, (event) => void queue.push({ kind: 'delivery', event }));
  setHandler(landlordDirectoryChangedSignal, () => void queue.push({ kind: 'landlord_directory_changed' }));
  setHandler(statusQuery, () => viewOf(state, durations));

  function track(work: Promise<unknown>): void {
    background.add(work);
    void work.finally(() => background.delete(work));
  }

  function apply(next: MachineInput): void {
    const before = state;
    const step = transition(state, next, new Date().toISOString());
    state = step.state;
    countTransition(before, state, next, step.start);
    for (const key of step.cancel) scopes.get(key)?.cancel();
    for (const effect of step.start) start(effect);
    if (step.published) publish(next);
  }

  function start(effect: Effect): void {
    const key = effectKey(effect);
    const scope = new CancellationScope();
    scopes.set(key, scope);
    const screening = snapshotOf(state);
    track(
      scope
        .run(() => runEffect(effect, screening))
        .then(
          (result) => queue.push({ kind: 'effect_settled', key, result }),
          (error: unknown) => queue.push({ kind: 'effect_settled', key, result: resultOfFailure(error) }),
        )
        .finally(() => scopes.get(key) === scope && scopes.delete(key)),
    );
  }

  function publish(cause?: MachineInput): void {
    const screening = snapshotOf(state);
    const attributes = searchAttributesOf(screening, input.publishScore === true);
    const attributesKey = attributesKeyOf(attributes);
    if (attributesKey !== attributesUpserted) {
      upsertSearchAttributes(attributes);
      attributesUpserted = attributesKey;
    }
    const { status, version } = screening;
    log.info('screening changed', { status, version, input: cause?.kind === 'delivery' ? cause.event.type : cause?.kind });
    track(bookkeeping.recordScreening(screening).catch(() => queue.push({ kind: 'bookkeeping_failed', what: `read_model:v${version}` })));
  }

  /** Starts the timer of `deadline` unless it already runs; cancels one for a deadline that moved. */
  function armTimer(deadline: Deadline | undefined): void {
    const key = deadline && `${deadline.kind}:${deadline.index ?? ''}:${deadline.at}`;
    if (timer?.key === key) return;
    timer?.scope.cancel();
    timer = undefined;
    if (!deadline || !key) return;
    const armed = { key, scope: new CancellationScope(), fired: false };
    armed.scope
      .run(() => sleep(Math.max(1, Date.parse(deadline.at) - Date.now())))
      .then(
        () => void (armed.fired = true),
        () => undefined, // cancelled: the deadline moved
      );
    timer = armed;
  }

  // A new run publishes again: the previous run's last write may have been cut off by the hand-over.
  if (carried) publish();

  for (;;) {
    while (queue.length > 0) apply(queue.shift()!);
    // Current details are workflow metadata, not history: kept current after every batch, duplicates included.
    setCurrentDetails(detailsOf(state));

    const deadline = nextDeadline(state, durations);
    if (workflowInfo().continueAsNewSuggested) {
      // E-mails in flight finish in this run rather than start again in the next (bounded: a stuck
      // one is handed over, and the send ledger's claim keeps it single). Other running work is
      // handed over: the next run starts it again, and it is idempotent.
      const mailing = () => [...scopes.keys()].some((key) => isEmail(state.effects[key]!.effect));
      if (mailing()) await condition(() => !mailing(), HAND_OVER_MAIL_WAIT);
      await condition(allHandlersFinished);
      while (queue.length > 0) apply(queue.shift()!);
      const handOver: CarriedState = { version: 1, state };
      await continueAsNew<typeof screeningWorkflow>({ ...input, carried: handOver });
    }

    if (deadline?.kind === 'close' && Date.parse(deadline.at) <= Date.now()) {
      // Let running effects and writes finish before the history closes; a delivery arriving
      // meanwhile is applied (and, being a redelivery, changes nothing) first.
      await condition(() => (background.size === 0 && allHandlersFinished()) || queue.length > 0);
      if (queue.length === 0) return viewOf(state, durations);
      continue;
    }

    armTimer(deadline);
    await condition(() => queue.length > 0 || timer?.fired === true);
    // Inputs first: the next round applies the deadline if it still stands (the same timer, fired).
    if (queue.length > 0 || !timer?.fired || !deadline) continue;
    timer = undefined;
    const fired = inputForDeadline(deadline);
    if (fired) apply(fired);
  }
}
