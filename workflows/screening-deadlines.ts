/**
 * The machine's timers: which deadline comes next for a screening, and the input it stands for
 * when it fires. Pure, like the machine.
 */
import { effectKey } from './messages';
import { canExpire, isTerminal, type MachineInput, type ScreeningState, statusOf } from './screening-machine';

export interface Durations {
  /** Milliseconds after the invitation for each tenant reminder. */
  reminders: number[];
  expiry: number;
  completionSla: number;
  submittedMaxAge: number;
  dedupeWindow: number;
}

export type DeadlineKind = 'reminder' | 'expiry' | 'completion_deadline' | 'max_age' | 'close';
export interface Deadline {
  kind: DeadlineKind;
  /** ISO 8601 on the workflow clock. */
  at: string;
  /** Reminder number (1-based) for `reminder`. */
  index?: number;
}

/** The next timer the workflow must set, or undefined when it only waits for deliveries. */
export function nextDeadline(state: ScreeningState, durations: Durations): Deadline | undefined {
  const status = statusOf(state);
  const after = (from: string, ms: number) => new Date(Date.parse(from) + ms).toISOString();
  const candidates: Deadline[] = [];
  if (isTerminal(status)) {
    if (state.clock.terminal) candidates.push({ kind: 'close', at: after(state.clock.terminal, durations.dedupeWindow) });
  } else {
    const invitedFrom = state.clock.invited ?? state.clock.firstSeen;
    if (status === 'invited' && state.clock.invited) {
      durations.reminders.forEach((offset, i) => {
        if (!state.effects[effectKey({ kind: 'remind_tenant', index: i + 1 })]) {
          candidates.push({ kind: 'reminder', index: i + 1, at: after(state.clock.invited!, offset) });
        }
      });
    }
    if (canExpire(status) && invitedFrom) {
      candidates.push({ kind: 'expiry', at: after(invitedFrom, durations.expiry) });
    }
    if (status === 'submitted' && state.clock.submitted && !state.effects.reconcile) {
      candidates.push({ kind: 'completion_deadline', at: after(state.clock.submitted, durations.completionSla) });
    }
    if (status === 'submitted' && state.clock.submitted) {
      candidates.push({ kind: 'max_age', at: after(state.clock.submitted, durations.submittedMaxAge) });
    }
  }
  return candidates.sort((a, b) => a.at.localeCompare(b.at))[0];
}

/** The machine input a fired deadline stands for (`close` ends the workflow instead). */
export function inputForDeadline(deadline: Deadline): MachineInput | undefined {
  switch (deadline.kind) {
    case 'reminder':
      return { kind: 'reminder_due', index: deadline.index! };
    case 'expiry':
      return { kind: 'expiry_due' };
    case 'completion_deadline':
      return { kind: 'completion_deadline_due' };
    case 'max_age':
      return { kind: 'max_age_due' };
    case 'close':
      return undefined;
  }
}
