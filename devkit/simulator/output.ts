import type { ScreeningView } from '../../workflows/messages';
import type { ReceivedStatusWebhook } from '../stand-in/platform-receiver';
import { retryScheduleMinutes, type DeliveryAttempt } from '../stand-in/webhook-sender';

/** How `npm run simulate` prints: one table row per delivery attempt, then the screening's state. */

const columns = [
  ['real', 8],
  ['SingleKey', 9],
  ['event', 27],
  ['copy', 4],
  ['try', 3],
  ['status', 6],
  ['latency', 8],
  ['answer', 24],
  ['then', 0],
] as const;

function row(cells: string[]): string {
  return cells
    .map((cell, i) => (columns[i]![1] ? cell.padEnd(columns[i]![1]) : cell))
    .join('  ')
    .trimEnd();
}

export function attemptHeader(): string {
  const header = row(columns.map(([name]) => name));
  return `${header}\n${'-'.repeat(header.length + 12)}`;
}

/** `+12:30`: SingleKey minutes and seconds since the request. */
function clock(minutes: number): string {
  const seconds = Math.round(minutes * 60);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h ? `+${h}:${String(m).padStart(2, '0')}:${s}` : `+${m}:${s}`;
}

function minutesText(minutes: number): string {
  return minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`;
}

export function attemptRow(a: DeliveryAttempt): string {
  const then =
    a.result === 'retrying' ? `retry in ${minutesText(retryScheduleMinutes[a.attempt]!)}` : a.result === 'abandoned' ? 'abandoned (last attempt)' : a.result;
  return row([
    `${(a.elapsedMs / 1000).toFixed(2)} s`,
    clock(a.minute),
    a.event,
    a.copies > 1 ? `${a.copy}/${a.copies}` : '',
    String(a.attempt),
    a.status === undefined ? '-' : String(a.status),
    `${a.latencyMs} ms`,
    a.answer,
    then,
  ]);
}

export function describeView(view: ScreeningView, expected: { status: string; met: boolean }): string {
  const time = (iso: string) => iso.slice(11, 23);
  const lines = [
    `  status              ${view.status}   (expected ${expected.status}: ${expected.met ? 'yes' : 'NOT MET'})`,
    `  customer / tenant   ${view.externalCustomerId ?? '-'} / ${view.externalTenantId ?? '-'}`,
    `  score               ${view.score ?? '-'}${view.recommendation ? ` (${view.recommendation})` : ''}`,
    `  failure             ${view.failure ? `${view.failure.reason ?? 'unknown'} (${view.failure.recoverable ? 'recoverable' : 'final'})` : '-'}`,
    `  duplicates ignored  ${view.duplicatesIgnored}`,
    `  reminders sent      ${view.remindersSent}`,
    `  next deadline       ${view.nextDeadline ? `${view.nextDeadline.kind} at ${view.nextDeadline.at}` : '-'}`,
    '  timeline (applied in this order; SingleKey time / applied)',
    ...view.timeline.map((entry) => `    ${entry.type.padEnd(28)} ${time(entry.occurredAt)} / ${time(entry.appliedAt)}`),
  ];
  for (const [name, keys] of Object.entries(view.effects)) if (keys.length) lines.push(`  effects ${name.padEnd(11)} ${keys.join(', ')}`);
  return lines.join('\n');
}

/** One line per status webhook the platform (the stand-in's receiver) got, in arrival order: status, webhook-id, verified, answer. */
export function describeStatusWebhooks(webhooks: ReceivedStatusWebhook[]): string {
  if (webhooks.length === 0) return '  none received by the stand-in (npm start sends them there unless PLATFORM_WEBHOOK_URL says otherwise)';
  const width = Math.max(...webhooks.map((w) => w.webhookId.length));
  return webhooks
    .map((w) => `  ${(w.status ?? '?').padEnd(12)} ${w.webhookId.padEnd(width)}  ${w.verified ? 'verified' : 'NOT VERIFIED'}  ${w.answered}`)
    .join('\n');
}
