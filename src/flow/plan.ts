/**
 * The flow control a catalog asks for, on one work queue: which tasks are keyed, which are
 * rate-limited, and the queues to declare for them.
 *
 * @module
 */
import type { Options } from "../deps/amqplib.ts";
import type { QueueNames, QueueType } from "../broker/topology.ts";
import type { Catalog } from "../task/catalog.ts";
import type { AnyContract } from "../task/contract.ts";
import { type FlowNames, flowNames } from "./names.ts";
import {
  limitedQueueOptions,
  partitionQueueOptions,
  refillQueueOptions,
  tokensQueueOptions,
} from "./topology.ts";

/** A rate-limited task and its queues. */
export interface LimitedTask {
  /** The task's contract. */
  readonly contract: AnyContract;
  /** Tokens per second and the bucket's size. */
  readonly limit: { readonly perSecond: number; readonly burst: number };
  /** Where its tasks wait for a token. */
  readonly limited: string;
  /** Its bucket. */
  readonly tokens: string;
  /** Its refiller's baton queue. */
  readonly refill: string;
}

/** The flow control of a catalog on one work queue. */
export interface FlowPlan {
  /** The names of the flow queues. */
  readonly names: FlowNames;
  /** The number of key partitions. */
  readonly partitions: number;
  /** Whether some task is keyed (the partitions are then in use). */
  readonly keyed: boolean;
  /** The rate-limited tasks. */
  readonly limited: readonly LimitedTask[];
}

/**
 * The flow control of `catalog` on work queue `names` with `partitions` key partitions.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { queueNames } from "../broker/topology.ts";
 * import { defineCatalog } from "../task/catalog.ts";
 * import { defineTask } from "../task/contract.ts";
 * import { flowPlan } from "./plan.ts";
 *
 * const call = defineTask({
 *   name: "call",
 *   schema: z.object({ n: z.number() }),
 *   rateLimit: { perSecond: 20, burst: 20 },
 * });
 * const plan = flowPlan(defineCatalog(call), queueNames("jobs"), 16);
 * plan.limited[0]?.tokens; // "jobs.tokens.call"
 * plan.keyed; // false
 * ```
 */
export function flowPlan(catalog: Catalog, names: QueueNames, partitions: number): FlowPlan {
  const flow = flowNames(names);
  const contracts = catalog.names.map((name) => catalog.get(name)!);
  return {
    names: flow,
    partitions,
    keyed: contracts.some((contract) => contract.key !== undefined),
    limited: contracts.flatMap((contract) =>
      contract.rateLimit === undefined ? [] : [{
        contract,
        limit: contract.rateLimit,
        limited: flow.limited(contract.name),
        tokens: flow.tokens(contract.name),
        refill: flow.refill(contract.name),
      }]
    ),
  };
}

/** A queue to declare, with its options. */
export type QueueDeclaration = readonly [name: string, options: Options.AssertQueue];

/**
 * The queues tasks are published to: the partitions (with a keyed task) and the waiting
 * queues of the limited tasks. A producer declares these.
 */
export function destinationQueues(
  plan: FlowPlan,
  names: QueueNames,
  type: QueueType,
): QueueDeclaration[] {
  const queues: QueueDeclaration[] = [];
  if (plan.keyed) {
    for (let i = 0; i < plan.partitions; i++) {
      queues.push([plan.names.partition(i), partitionQueueOptions(names)]);
    }
  }
  for (const task of plan.limited) queues.push([task.limited, limitedQueueOptions(names, type)]);
  return queues;
}

/** Every flow queue: the destinations, the buckets and the batons. A worker declares these. */
export function flowQueues(plan: FlowPlan, names: QueueNames, type: QueueType): QueueDeclaration[] {
  return [
    ...destinationQueues(plan, names, type),
    ...plan.limited.flatMap((task): QueueDeclaration[] => [
      [task.tokens, tokensQueueOptions(task.limit.burst)],
      [task.refill, refillQueueOptions()],
    ]),
  ];
}
