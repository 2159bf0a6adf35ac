/** Waits for a played screening to reach its scenario's end state, saying what it waits for. */
import { type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ScreeningView, statusQuery } from '../../workflows/messages';
import type { Played, Scenario } from '../stand-in/scenarios';

/**
 * Polls the workflow's `status` query until the scenario is satisfied, `waitSeconds` have passed, or
 * the next step is due after that (waiting longer could not change the answer). Answers the last view.
 */
export async function awaitEndState(handle: WorkflowHandle, scenario: Scenario, played: Played, waitSeconds: number): Promise<ScreeningView | undefined> {
  const until = Date.now() + waitSeconds * 1000;
  let view: ScreeningView | undefined;
  let said = '';
  for (;;) {
    view = await handle.query(statusQuery).catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    });
    if (view && scenario.satisfiedBy(view, played)) return view;
    const deadline = view?.nextDeadline;
    const waiting = view ? `status ${view.status}${deadline ? `, next: ${deadline.kind} at ${deadline.at}` : ''}` : 'no workflow yet';
    if (waiting !== said) console.log(`waiting for ${scenario.expectedStatus}: ${waiting}`);
    said = waiting;
    if (view && view.effects.pending.length === 0 && deadline && Date.parse(deadline.at) > until) {
      console.log(`\nThe next step is due after --wait (${waitSeconds} s). The lifecycle durations come from the service's`);
      console.log('REMINDER_SCHEDULE, SCREENING_EXPIRY and COMPLETION_SLA; start it with seconds-long ones to watch (README, "Walkthrough").');
      return view;
    }
    if (Date.now() > until) return view;
    await sleep(500);
  }
}
