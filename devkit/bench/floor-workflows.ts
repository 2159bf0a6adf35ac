/**
 * The floor phase's workflows (`devkit/bench/floor.ts`): the least a screening's workflow could do
 * with its first delivery. Not the service's code: a yardstick for what Temporal and the SDK cost
 * on this machine before any of ours runs.
 */
import { condition, defineSignal, proxyLocalActivities, proxySinks, setHandler, sleep, type Sinks } from '@temporalio/workflow';

export const floorDeliverySignal = defineSignal<[unknown]>('floor-delivery');

export interface FloorSinks extends Sinks {
  floor: { taken(id: string): void };
}

const { floor } = proxySinks<FloorSinks>();
const { recordFloor } = proxyLocalActivities<{ recordFloor(id: string): Promise<void> }>({ startToCloseTimeout: '1 minute' });

/**
 * Waits for its first signal, tells the bench (a sink: no history event, no round trip) or records
 * itself with one local activity (as a screening records its read model), then sleeps as an open
 * screening does.
 */
export async function floorWorkflow(id: string, recordWithLocalActivity: boolean): Promise<void> {
  let deliveries = 0;
  setHandler(floorDeliverySignal, () => void deliveries++);
  await condition(() => deliveries > 0);
  if (recordWithLocalActivity) await recordFloor(id);
  else floor.taken(id);
  await sleep('30 days');
}
