import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  type LifecycleDurations,
  screeningEventSignal,
  type ScreeningEvent,
  type ScreeningSnapshot,
  workflowIdFor,
  workflowType,
} from '../../workflows/messages';
import { changesStatus, initialState, snapshotOf, stateFromSnapshot, transition } from '../../workflows/screening-machine';
import { searchAttributesOf } from '../../workflows/screening-publication';
import type { Config } from '../config';
import type { Db } from '../db/connection';
import { endedScreening } from '../db/read-model';

export type SignalOutcome =
  | { outcome: 'signalled'; workflowId: string }
  /** The screening's workflow has already closed: nothing is started again, no effect runs twice. */
  | { outcome: 'late'; workflowId: string }
  /** The screening had ended and its workflow closed, but this delivery changes its outcome: a new run takes it from the read model. */
  | { outcome: 'reopened'; workflowId: string };

/** Hands a normalised event to the screening's workflow, starting the workflow if it has never run. */
export interface ScreeningSignaler {
  signal(event: ScreeningEvent): Promise<SignalOutcome>;
}

export interface SignalerOptions {
  taskQueue: string;
  lifecycle: LifecycleDurations;
  /** SCORE_SEARCH_ATTRIBUTE: the score as a search attribute too. */
  publishScore?: boolean;
  /** PLATFORM_WEBHOOK_URL is set: workflows started from now on send every status reached to the platform. */
  notifyPlatform?: boolean;
  /**
   * Bounds the whole hand-over (the client retries transient gRPC failures inside it); it must stay
   * well under SingleKey's 30 s so the caller can still answer 503 in time.
   */
  deadlineMs?: number;
  /**
   * The screening as the read model shows it when it ended (a final status), else undefined.
   * Temporal rejects a second run only while the namespace retains the first one; after that, this
   * keeps a late delivery from starting the screening over, and lets one that changes the outcome
   * (a completion after expiry) reopen it. A failing lookup counts as "not ended".
   */
  endedScreening?: (purchaseToken: string) => Promise<(ScreeningSnapshot & { erased?: true }) | undefined>;
}

/** The signaler on the service's settings: the API's, and the worker's for `POST /screenings`. */
export function screeningSignalerFor(client: Client, config: Config, db: Db, deadlineMs?: number): ScreeningSignaler {
  return createScreeningSignaler(client, {
    deadlineMs,
    taskQueue: config.temporal.taskQueue,
    lifecycle: config.lifecycle,
    publishScore: config.temporal.scoreSearchAttribute,
    notifyPlatform: config.platformWebhook.url !== undefined,
    endedScreening: (purchaseToken) => endedScreening(db, purchaseToken),
  });
}

export function createScreeningSignaler(client: Client, options: SignalerOptions): ScreeningSignaler {
  const deadlineMs = options.deadlineMs ?? 10_000;
  const withDeadline = <T>(call: () => Promise<T>) => client.connection.withDeadline(Date.now() + deadlineMs, call);
  /**
   * The search attributes of the screening once `event` applied to the run's starting state, as the
   * workflow computes them: given at the start, Temporal indexes them with the new execution, and the
   * workflow skips its first upsert (one visibility write less per new screening). When the first
   * task holds more than this delivery, the workflow upserts what differs.
   */
  const attributesAfter = (event: ScreeningEvent, reopened?: ScreeningSnapshot) => {
    const machine = { notifyPlatform: options.notifyPlatform };
    const start = reopened ? stateFromSnapshot(reopened, machine) : initialState(event.purchaseToken, machine);
    const { state } = transition(start, { kind: 'delivery', event }, new Date().toISOString());
    return searchAttributesOf(snapshotOf(state), options.publishScore === true);
  };
  const signalWithStart = (event: ScreeningEvent, reuse: WorkflowIdReusePolicy, reopened?: ScreeningSnapshot) =>
    withDeadline(() =>
      client.workflow.signalWithStart(workflowType, {
        workflowId: workflowIdFor(event.purchaseToken),
        taskQueue: options.taskQueue,
        args: [
          {
            purchaseToken: event.purchaseToken,
            lifecycle: options.lifecycle,
            ...(reopened ? { reopened } : {}),
            ...(options.publishScore ? { publishScore: true } : {}),
            ...(options.notifyPlatform ? { notifyPlatform: true } : {}),
          },
        ],
        signal: screeningEventSignal,
        signalArgs: [event],
        workflowIdReusePolicy: reuse,
        staticSummary: summaryOf(event),
        typedSearchAttributes: attributesAfter(event, reopened),
      }),
    );
  return {
    async signal(event) {
      const workflowId = workflowIdFor(event.purchaseToken);
      const ended = await options.endedScreening?.(event.purchaseToken).catch(() => undefined);
      // Erased (withdrawn consent): acknowledged and logged, and nothing starts or keeps personal data again.
      if (ended?.erased) return { outcome: 'late', workflowId };
      if (ended) {
        // Ended: a run still open for its dedupe window takes the delivery; otherwise nothing starts
        // again, unless the delivery changes the outcome.
        try {
          await withDeadline(() => client.workflow.getHandle(workflowId).signal(screeningEventSignal, event));
          return { outcome: 'signalled', workflowId };
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          if (!changesStatus(stateFromSnapshot(ended), event, new Date().toISOString())) return { outcome: 'late', workflowId };
        }
        // A second run for the same token, deliberately: two such deliveries at once both land in it.
        await signalWithStart(event, WorkflowIdReusePolicy.ALLOW_DUPLICATE, ended);
        return { outcome: 'reopened', workflowId };
      }
      try {
        // One purchase token, one execution chain, for as long as the namespace retains it: a running
        // workflow is signalled, a closed one is never started again.
        await signalWithStart(event, WorkflowIdReusePolicy.REJECT_DUPLICATE);
        return { outcome: 'signalled', workflowId };
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return { outcome: 'late', workflowId };
        throw error;
      }
    },
  };
}

/** The Web UI's one-line title of a screening (ids only: no personal data in Temporal's indexes). */
function summaryOf(event: ScreeningEvent): string {
  const token = event.purchaseToken.length > 12 ? `${event.purchaseToken.slice(0, 10)}…` : event.purchaseToken;
  const who = [event.externalTenantId && `tenant ${event.externalTenantId}`, event.externalCustomerId && `landlord ${event.externalCustomerId}`]
    .filter(Boolean)
    .join(', ');
  return `Screening ${token}${who ? ` for ${who}` : ''}`;
}
