/**
 * Where a task goes, by its contract, pure: a keyed task to its key's partition, a
 * rate-limited one to its waiting queue, any other to the work queue (`undefined` here).
 *
 * @module
 */
import type { AnyContract } from "../task/contract.ts";
import type { FlowNames } from "./names.ts";
import { keyOf, partitionOf } from "./partitions.ts";

/** Where a task of a flow-controlled contract goes. */
export type FlowRoute =
  | {
    /** A keyed task: to the partition of its key. */
    readonly kind: "keyed";
    /** The partition's queue. */
    readonly queue: string;
    /** The partition's number. */
    readonly partition: number;
    /** The key. */
    readonly key: string;
  }
  | {
    /** A rate-limited task: to the queue where it waits for a token. */
    readonly kind: "limited";
    /** That queue. */
    readonly queue: string;
  };

/** Whether tasks of `contract` are flow-controlled (keyed or rate-limited). */
export function isFlowControlled(contract: AnyContract): boolean {
  return contract.key !== undefined || contract.rateLimit !== undefined;
}

/**
 * The flow queue of a task of `contract` with `payload` (as it travels), or `undefined` for a
 * task that goes to the work queue. Throws a `ValidationError` when a keyed task's payload
 * gives no key. `random` picks a slot when the key concurrency is above 1.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { queueNames } from "../broker/topology.ts";
 * import { defineTask } from "../task/contract.ts";
 * import { flowNames } from "./names.ts";
 * import { flowRoute } from "./route.ts";
 *
 * const pay = defineTask({ name: "pay", schema: z.object({ account: z.string() }), key: "account" });
 * const route = flowRoute(pay, { account: "a-1" }, flowNames(queueNames("jobs")), 16);
 * route?.kind; // "keyed"
 * ```
 */
export function flowRoute(
  contract: AnyContract,
  payload: Readonly<Record<string, unknown>>,
  flow: FlowNames,
  partitions: number,
  random: () => number = Math.random,
): FlowRoute | undefined {
  if (contract.key !== undefined) {
    const key = keyOf(contract, payload);
    const slots = contract.keyConcurrency;
    const slot = slots > 1 ? Math.min(slots - 1, Math.floor(random() * slots)) : 0;
    const partition = partitionOf(key, partitions, slot);
    return { kind: "keyed", queue: flow.partition(partition), partition, key };
  }
  if (contract.rateLimit !== undefined) {
    return { kind: "limited", queue: flow.limited(contract.name) };
  }
  return undefined;
}
