import {
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  metricMeter,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type EventRecord,
  type ScreeningEvent,
  screeningEventSignal,
  type ScreeningSnapshot,
  type ScreeningView,
  type ScreeningWorkflowInput,
  searchAttributes,
  statusQuery,
} from './messages';
import {
  type Durations,
  type Effect,
  effectKey,
  initialState,
  inputForDeadline,
  isTerminal,
  type MachineInput,
  nextDeadline,
  type ScreeningState,
  statusOf,
  transition,
} from './screening-machine';
import { bookkeeping, localBookkeeping, quick, reconciliation, reports } from './activity-stubs';
import { durationMs } from './durations';

/** What a run hands to the next one when it continues as new. */
interface Carried {
  state: ScreeningState;
  version: number;
  duplicatesIgnored: number;
  effects: ScreeningView['effects'];
  waiting: Effect[];
  relaunch: Effect[];
  queue: MachineInput[];
  eventLog: EventRecord[];
}

/** What an effect's work returns when the screening's outcome made it pointless before it finished. */
const SUPERSEDED = 'superseded';

function isSkippedForRecipient(result: unknown): boolean {
  return typeof result === 'object' && result !== null && (result as { outcome?: string }).outcome === 'skipped_no_recipient';
}

/**
 * One screening, for its whole life: a thin interpreter around the pure state machine. It applies
 * deliveries and timer firings through `transition`, runs the effects it returns as activities,
 * sets the next durable timer from `nextDeadline`, and stays open for the dedupe window after a
 * terminal status so SingleKey's redeliveries land here (and change nothing) instead of starting over.
 */
export async function screeningWorkflow(input: ScreeningWorkflowInput): Promise<ScreeningView> {
  const durations: Durations = {
    reminders: input.lifecycle.reminderSchedule.map(durationMs),
    expiry: durationMs(input.lifecycle.screeningExpiry),
    completionSla: durationMs(input.lifecycle.completionSla),
    dedupeWindow: durationMs(input.lifecycle.dedupeWindow),
  };
  const carried = input.carried as Carried | undefined;
  // Decided once per run: screenings whose history recorded local activities replay them as such.
  const records = patched('bookkeeping-as-activities') ? bookkeeping : localBookkeeping;
  const effects = carried?.effects ?? { done: [], pending: [], waiting: [], superseded: [], failed: [] };
  const waiting: Effect[] = carried?.waiting ?? [];
  /** Effects whose activity is running, by key: carried into the next run if we continue as new. */
  const inFlight = new Map<string, Effect>();
  /** Delivery-log batches being written, likewise. */
  const inFlightLogs = new Set<EventRecord[]>();
  let state: ScreeningState = carried?.state ?? initialState(input.purchaseToken);
  let version = carried?.version ?? 0;
  let duplicatesIgnored = carried?.duplicatesIgnored ?? 0;
  // Workflow metrics, exported by the worker's Prometheus endpoint (not emitted during replay).
  const transitions = metricMeter.createCounter('screening_transitions', 'transitions', 'Screening status changes, by new status');
  const remindersSent = metricMeter.createCounter('screening_reminders_sent', 'reminders', 'Tenant reminders sent');
  const reconciliations = metricMeter.createCounter('screening_reconciliations', 'reconciliations', 'Reconciliations against the report API, by outcome');
  const queue: MachineInput[] = [...(carried?.queue ?? [])];
  /** Deliveries to append to the delivery log, flushed in one activity per burst. */
  const eventLog: EventRecord[] = [...(carried?.eventLog ?? [])];
  const running = new Set<Promise<void>>();
  /** The reconciliation in flight, cancelled when a delivery settles the outcome first. */
  let reconciling: CancellationScope | undefined;

  setHandler(screeningEventSignal, (event: ScreeningEvent) => {
    queue.push({ kind: 'delivery', event });
  });
  setHandler(statusQuery, () => view());

  function snapshot(): ScreeningSnapshot {
    // Everything but the machine's bookkeeping (clock, keys, requested effects, timeline).
    const { clock: _clock, appliedKeys: _keys, requested: _requested, timeline: _timeline, inviteType: _inviteType, ...facts } = state;
    return { ...facts, status: statusOf(state), version };
  }

  function view(): ScreeningView {
    const deadline = nextDeadline(state, durations);
    return {
      purchaseToken: state.purchaseToken,
      status: statusOf(state),
      version,
      externalCustomerId: state.externalCustomerId,
      externalTenantId: state.externalTenantId,
      score: state.score,
      recommendation: state.recommendation,
      failure: state.failure && { reason: state.failure.reason, recoverable: state.failure.recoverable },
      timeline: state.timeline.map(({ type, occurredAt, appliedAt }) => ({ type, occurredAt, appliedAt })),
      duplicatesIgnored,
      remindersSent: effects.done.filter((key) => key.startsWith('remind_tenant:')).length,
      nextDeadline: deadline && { kind: deadline.kind === 'close' ? 'close (dedupe window ends)' : deadline.kind, at: deadline.at },
      effects,
    };
  }

  /** Keeps track of background work, so the workflow neither continues-as-new nor closes under it. */
  function track(work: Promise<void>): void {
    running.add(work);
    void work.finally(() => running.delete(work));
  }

  /** Runs an effect in the background; its outcome lands in `effects` (and the query). */
  function launch(effect: Effect, work: () => Promise<unknown>): void {
    const key = effectKey(effect);
    effects.pending.push(key);
    inFlight.set(key, effect);
    track(
      work().then(
        (result) => {
          if (result === SUPERSEDED) return settle(key, 'superseded');
          if (isSkippedForRecipient(result)) {
            // Deliveries can bring the contact after the milestone: send once it is known.
            waiting.push(effect);
            settle(key, 'waiting');
            return retryWaiting();
          }
          settle(key, 'done');
          if (effect.kind === 'remind_tenant') remindersSent.add(1);
        },
        () => settle(key, 'failed'),
      ),
    );
  }

  function settle(key: string, outcome: 'done' | 'failed' | 'waiting' | 'superseded'): void {
    inFlight.delete(key);
    effects.pending.splice(effects.pending.indexOf(key), 1);
    effects[outcome].push(key);
  }

  /** Re-runs e-mails that lacked a recipient, once a delivery has supplied one. */
  function retryWaiting(): void {
    const screening = snapshot();
    for (const effect of [...waiting]) {
      const known = effect.kind === 'remind_tenant' ? screening.tenant?.email : screening.landlord?.email;
      if (!known) continue;
      waiting.splice(waiting.indexOf(effect), 1);
      effects.waiting.splice(effects.waiting.indexOf(effectKey(effect)), 1);
      perform(effect);
    }
  }

  function perform(effect: Effect): void {
    const screening = snapshot();
    switch (effect.kind) {
      case 'notify_landlord':
        // Requested for every submission, but pointless once the outcome is known (a late retry).
        if (effect.milestone === 'submitted' && isTerminal(screening.status)) {
          effects.superseded.push(effectKey(effect));
          return;
        }
        return launch(effect, () => quick.notifyLandlord({ milestone: effect.milestone, screening }));
      case 'remind_tenant':
        return launch(effect, () => quick.remindTenant({ index: effect.index, screening }));
      case 'alert_team':
        return launch(effect, () => quick.alertTeam({ reason: effect.reason, screening }));
      case 'fetch_report':
        return launch(effect, async () => {
          const fetched = await reports.fetchReport({ purchaseToken: screening.purchaseToken, scope: effect.scope });
          // A portal "Report Complete" names no score: the report does (search attribute, read model).
          if (fetched.score !== undefined && state.score === undefined && patched('score-from-report')) {
            queue.push({ kind: 'report_fetched', score: fetched.score });
          }
          return fetched;
        });
      case 'reconcile': {
        reconciliations.add(1, { outcome: 'started' });
        const scope = new CancellationScope();
        reconciling = scope;
        return launch(effect, () =>
          scope.run(async () => {
            try {
              const report = await reconciliation.checkReport({ purchaseToken: screening.purchaseToken });
              reconciliations.add(1, { outcome: 'completed' });
              queue.push({ kind: 'reconciled', score: report.score, reportUrl: report.reportUrl });
            } catch (error) {
              if (isCancellation(error)) {
                reconciliations.add(1, { outcome: 'superseded' });
                return SUPERSEDED;
              }
              if (!(error instanceof ActivityFailure)) throw error;
              reconciliations.add(1, { outcome: 'gave_up' });
              queue.push({ kind: 'reconciliation_gave_up' });
            } finally {
              if (reconciling === scope) reconciling = undefined;
            }
            return undefined;
          }),
        );
      }
    }
  }

  function publish(): void {
    const current = snapshot();
    upsertSearchAttributes([
      { key: searchAttributes.status, value: current.status },
      ...(current.externalCustomerId ? [{ key: searchAttributes.externalCustomerId, value: current.externalCustomerId }] : []),
      ...(current.externalTenantId ? [{ key: searchAttributes.externalTenantId, value: current.externalTenantId }] : []),
      ...(current.score !== undefined ? [{ key: searchAttributes.singleKeyScore, value: current.score }] : []),
    ]);
    const last = state.timeline.at(-1);
    setCurrentDetails(
      `**${current.status}**${current.score !== undefined ? ` · score ${current.score}` : ''} · last: ${last?.type ?? '-'} · ` +
        `${state.timeline.length} events, ${duplicatesIgnored} duplicates ignored`,
    );
    track(records.recordScreening(current).catch(() => void effects.failed.push(`read_model:v${current.version}`)));
  }

  function apply(machineInput: MachineInput): void {
    const result = transition(state, machineInput, new Date().toISOString());
    if (machineInput.kind === 'delivery') {
      const { event } = machineInput;
      const { dedupeKey, purchaseToken, type, sourceEvent, occurredAt, receivedAt } = event;
      eventLog.push({ dedupeKey, purchaseToken, type, sourceEvent, occurredAt, receivedAt, outcome: result.changed ? 'applied' : 'duplicate' });
    }
    if (!result.changed) {
      if (machineInput.kind === 'delivery') duplicatesIgnored += 1;
      return;
    }
    const before = statusOf(state);
    state = result.state;
    version += 1;
    const after = statusOf(state);
    if (after !== before) transitions.add(1, { status: after });
    // A completion or failure delivered while the report API is being polled makes the polling
    // pointless (and, for a failure, would end in a false "reconciliation gave up" alert 12 h later).
    if (reconciling && isTerminal(after) && patched('stop-reconciling-once-settled')) {
      reconciling.cancel();
      reconciling = undefined;
    }
    log.info('screening changed', { status: after, input: machineInput.kind === 'delivery' ? machineInput.event.type : machineInput.kind, effects: result.effects.map(effectKey) });
    publish();
    for (const effect of result.effects) perform(effect);
    retryWaiting();
  }

  if (carried) {
    publish();
    for (const effect of carried.relaunch) perform(effect);
  }

  for (;;) {
    while (queue.length > 0) apply(queue.shift()!);
    if (eventLog.length > 0) {
      const batch = eventLog.splice(0);
      inFlightLogs.add(batch);
      track(
        records.recordEvents(batch).then(
          () => void inFlightLogs.delete(batch),
          () => void effects.failed.push(`event_log:${batch.length}`),
        ),
      );
    }

    const deadline = nextDeadline(state, durations);
    const waitMs = deadline ? Date.parse(deadline.at) - Date.now() : undefined;
    if (deadline?.kind === 'close' && waitMs !== undefined && waitMs <= 0) {
      // Let running effects (mail, report archive) finish before the history closes; a delivery
      // arriving meanwhile is applied (and, being a redelivery, changes nothing) first.
      await condition(() => (running.size === 0 && allHandlersFinished()) || queue.length > 0);
      if (queue.length === 0) break;
      continue;
    }

    if (workflowInfo().continueAsNewSuggested) {
      // Work still running is handed over rather than awaited (a flood of deliveries keeps some
      // always running): the next run starts its activities again, which are idempotent.
      await condition(allHandlersFinished);
      const next: Carried = {
        state,
        version,
        duplicatesIgnored,
        effects: { ...effects, pending: [] },
        waiting,
        relaunch: [...inFlight.values()],
        queue,
        eventLog: [...[...inFlightLogs].flat(), ...eventLog],
      };
      await continueAsNew<typeof screeningWorkflow>({ purchaseToken: input.purchaseToken, lifecycle: input.lifecycle, carried: next });
    }

    const woken = await (waitMs === undefined
      ? condition(() => queue.length > 0).then(() => true)
      : condition(() => queue.length > 0, Math.max(1, waitMs)));
    if (!woken && deadline) {
      const timerInput = inputForDeadline(deadline);
      if (timerInput) apply(timerInput);
    }
  }

  return view();
}
