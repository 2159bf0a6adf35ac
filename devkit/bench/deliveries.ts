import type { WorkflowIdReusePolicy } from '@temporalio/common';
import { signedHeaders } from '../stand-in/webhook-payloads';
import { DEFAULT_TASK_QUEUE, type ScreeningEvent, screeningEventSignal, workflowIdFor, workflowType } from '../../workflows/messages';
import type { BenchService } from './service';

/** The body SingleKey would send for `e` (the signed envelope, nested layout). */
export const envelope = (e: ScreeningEvent, data: Record<string, unknown> = {}): string =>
  JSON.stringify({ event: e.type, timestamp: e.occurredAt, webhook_id: e.dedupeKey, data: { purchase_token: e.purchaseToken, ...data } });

export interface DeliveryAnswer {
  status: number;
  /** Seconds, 0 when the answer had no `Retry-After`. */
  retryAfter: number;
}

/** Posts `body` to the service's webhook, signed exactly as the SingleKey stand-in signs. */
export async function post(service: BenchService, body: string): Promise<DeliveryAnswer> {
  const response = await fetch(`${service.api}/webhooks/singlekey`, {
    method: 'POST',
    body,
    // Same headers as the stand-in's, the event name read back from the body.
    headers: signedHeaders(/"event":"([^"]+)"/.exec(body)?.[1] ?? '', body, service.secret, Math.floor(Date.now() / 1000)),
  });
  await response.arrayBuffer();
  return { status: response.status, retryAfter: Number(response.headers.get('retry-after') ?? 0) };
}

/** Signal-with-start of `e`'s screening straight to Temporal, as the edge does it. */
export function signalWithStart(service: BenchService, e: ScreeningEvent, extra: { workflowIdReusePolicy?: WorkflowIdReusePolicy } = {}): Promise<unknown> {
  return service.client.workflow.signalWithStart(workflowType, {
    workflowId: workflowIdFor(e.purchaseToken),
    taskQueue: DEFAULT_TASK_QUEUE,
    args: [{ purchaseToken: e.purchaseToken, lifecycle: service.lifecycle }],
    signal: screeningEventSignal,
    signalArgs: [e],
    ...extra,
  });
}
