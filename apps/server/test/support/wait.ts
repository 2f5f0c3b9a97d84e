import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until `condition` holds, however long that takes on this machine: a test waits
 * for what it needs to have happened rather than for a time that is enough when the
 * machine is idle. Only vitest's hang guard ends a wait that never ends.
 */
export async function until(condition: () => boolean | Promise<boolean>, pollMs = 10): Promise<void> {
  while (!(await condition())) await sleep(pollMs);
}
