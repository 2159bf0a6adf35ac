import assert from 'node:assert/strict';
import { screeningEvent } from '../../devkit/builders';
import { type CarriedState, parseCarriedState } from '../../workflows/carried-state';
import { initialState, type MachineInput, type ScreeningState, transition } from '../../workflows/screening-machine';

/** A state as the machine leaves it mid-lifecycle, with an effect running, as Temporal hands it over (JSON). */
function handedOver(): CarriedState {
  const inputs: MachineInput[] = [
    { kind: 'delivery', event: screeningEvent('pt_c', 'invite.sent', { landlord: { email: 'landlord@example.test' } }) },
    { kind: 'delivery', event: screeningEvent('pt_c', 'screening.submitted') },
    { kind: 'delivery', event: screeningEvent('pt_c', 'screening.completed', { score: 733 }) },
  ];
  let state: ScreeningState = initialState('pt_c');
  for (const input of inputs) state = transition(state, input, new Date().toISOString()).state;
  return JSON.parse(JSON.stringify({ version: 1, state })) as CarriedState;
}

const rejects = (value: unknown, problem: RegExp) => assert.throws(() => parseCarriedState(value), problem);

describe('the state carried across continue-as-new', () => {
  it('accepts what a run hands over', () => {
    const carried = handedOver();
    assert.deepEqual(parseCarriedState(carried), carried);
  });

  it('refuses another version', () => {
    rejects({ ...handedOver(), version: 2 }, /version/);
  });

  it('refuses an effect filed under another key', () => {
    const carried = handedOver();
    carried.state.effects['notify_landlord:completed']!.effect = { kind: 'reconcile' };
    rejects(carried, /filed under another key/);
  });

  it('refuses an effect missing what it needs', () => {
    const carried = handedOver();
    carried.state.effects['remind_tenant:1'] = { effect: { kind: 'remind_tenant' } as never, status: 'running' };
    rejects(carried, /effects/);
  });

  it('refuses a time a timer could not count from', () => {
    const carried = handedOver();
    carried.state.clock.submitted = 'yesterday';
    rejects(carried, /clock\.submitted/);
  });

  it('refuses a score that is not a number', () => {
    const carried = handedOver();
    (carried.state as { score: unknown }).score = '733';
    rejects(carried, /score/);
  });
});
