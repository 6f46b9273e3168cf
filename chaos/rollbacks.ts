/**
 * The rollbacks an experiment declares, as actions on its target: each is tried once,
 * whatever happened before it, and journalled as done, failed (with the error) or skipped
 * (with why it does not apply to this target).
 */
import { RollbackKinds, type RollbackKind } from './experiment.ts';
import type { JournalStep } from './journal.ts';
import type { Target } from './target.ts';

interface RollbackAction {
  /** The journal's name of the step. */
  name: string;
  /** Why it does not apply to this target; undefined when it does. */
  skipReason(target: Target): string | undefined;
  perform(target: Target): Promise<void>;
}

const ACTIONS: Readonly<Record<RollbackKind, RollbackAction>> = {
  [RollbackKinds.ClearDynamoDbFaults]: {
    name: 'clear the DynamoDB fault rules (kill switch)',
    skipReason: (target) => (target.proxy ? undefined : 'this target has no DynamoDB fault proxy'),
    perform: async (target) => target.proxy?.clearRules(),
  },
  [RollbackKinds.RestartService]: {
    name: 'restart the killed service',
    skipReason: (target) =>
      !target.process
        ? 'this target has no service process'
        : target.process.running
          ? 'the service is running'
          : undefined,
    perform: async (target) => target.process?.restart(),
  },
  [RollbackKinds.ClearServiceFaults]: {
    name: 'DELETE /_chaos/faults (kill switch)',
    skipReason: (target) => (target.serviceFaults ? undefined : 'this target has no service fault endpoint'),
    perform: async (target) => target.serviceFaults?.clear(),
  },
};

/** A restarted service must be up before its fault rules can be cleared. */
const ORDER: readonly RollbackKind[] = [
  RollbackKinds.ClearDynamoDbFaults,
  RollbackKinds.RestartService,
  RollbackKinds.ClearServiceFaults,
];

/**
 * Undoes one kind of fault on the target, when it applies there (a fault window's end
 * uses it too); resolves with why it was skipped, and throws what the action threw.
 */
export async function rollBack(kind: RollbackKind, target: Target): Promise<{ skipped?: string }> {
  const action = ACTIONS[kind];
  const skipped = action.skipReason(target);
  if (skipped !== undefined) return { skipped };
  await action.perform(target);
  return {};
}

/** Performs the declared rollbacks (each once, in dependency order) and returns their journal entries. */
export async function performRollbacks(declared: readonly RollbackKind[], target: Target): Promise<JournalStep[]> {
  const steps: JournalStep[] = [];
  for (const kind of ORDER.filter((k) => declared.includes(k))) {
    const { name } = ACTIONS[kind];
    try {
      const { skipped } = await rollBack(kind, target);
      steps.push({
        at: Date.now(),
        name,
        status: skipped === undefined ? 'ok' : 'skipped',
        ...(skipped === undefined ? {} : { detail: skipped }),
      });
    } catch (error) {
      steps.push({ at: Date.now(), name, status: 'failed', detail: (error as Error).message });
    }
  }
  return steps;
}
