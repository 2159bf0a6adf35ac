import { status } from '@grpc/grpc-js';
import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Deletes every workflow execution of one workflow id (a screening's, or its request's) from Temporal: each run of its continue-as-new
 * chain and any reopened run, running ones included (Temporal terminates, then deletes). Runs are
 * found through visibility, and then by id, so a run visibility has not indexed yet is deleted too.
 * Returns how many runs were deleted; 0 once nothing is left.
 */
export async function deleteExecutions(client: Client, workflowId: string): Promise<number> {
  const { namespace } = client.options;
  const deleted = new Set<string>();
  // Deletion is asynchronous in Temporal: ask again until no run of the screening answers.
  for (let round = 0; round < 20; round += 1) {
    const runs = new Set<string>();
    for await (const execution of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.add(execution.runId);
    const latest = await client.workflow
      .getHandle(workflowId)
      .describe()
      .then((d) => d.runId)
      .catch(() => undefined);
    if (latest) runs.add(latest);
    if (runs.size === 0) return deleted.size;
    for (const runId of runs) {
      try {
        await client.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, runId } });
        deleted.add(runId);
      } catch (error) {
        if ((error as { code?: number }).code !== status.NOT_FOUND) throw error; // already gone
      }
    }
    await sleep(500);
  }
  throw new Error(`runs of ${workflowId} were still listed after deleting them 20 times`);
}
