/**
 * The state of a work queue's flow control, by AMQP passive declares: its key partitions
 * (`Q.part.<i>`, probed from 0 up to the first that does not exist) with their ready tasks and
 * consumers, and, for the rate-limited tasks named, their waiting tasks, the tokens in their
 * bucket and whether a worker refills it.
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import { type QueueNames, queueNames } from "../broker/topology.ts";
import { flowNames } from "../flow/names.ts";
import { isTaskName } from "../task/contract.ts";
import { MAX_PARTITIONS } from "../flow/partitions.ts";
import { inspectQueue } from "./queues.ts";

/** The most rate limits one status or dashboard may be asked to show. */
export const MAX_LIMITS = 64;

/**
 * What is wrong with showing the rate limits of `tasks` on work queues `queues`, as the end of a
 * sentence ("… names …"), or `undefined` when nothing is: more than {@linkcode MAX_LIMITS}, a
 * name that is not a task name, or one whose queues would be too long a name beside a queue's.
 *
 * @example
 * ```ts
 * import { limitsProblem } from "./flow_status.ts";
 *
 * limitsProblem(["call"], ["jobs"]); // undefined
 * limitsProblem(["no such"], ["jobs"]); // 'names "no such", which is not a task name (…)'
 * ```
 */
export function limitsProblem(
  tasks: readonly string[],
  queues: readonly string[],
): string | undefined {
  if (tasks.length > MAX_LIMITS) {
    return `names ${tasks.length} tasks: give at most ${MAX_LIMITS}`;
  }
  const quoted = (task: string) => JSON.stringify(task.slice(0, 80));
  const bad = tasks.find((task) => !isTaskName(task));
  if (bad !== undefined) {
    return `names ${
      quoted(bad)
    }, which is not a task name (a letter, then letters, digits, '_', '.' or '-')`;
  }
  for (const queue of queues) {
    const flow = flowNames(queueNames(queue));
    for (const task of tasks) {
      try {
        flow.limited(task); // the longest of its three queue names
      } catch {
        return `names ${quoted(task)}, too long a task name for a queue of '${queue}' (255 bytes)`;
      }
    }
  }
  return undefined;
}

/** A key partition. */
export interface PartitionStatus {
  /** Its queue. */
  readonly name: string;
  /** Keyed tasks waiting in it. */
  readonly ready: number;
  /** Workers consuming it (one of them at a time is given its tasks). */
  readonly consumers: number;
}

/** A rate limit. */
export interface LimitStatus {
  /** The task. */
  readonly task: string;
  /** Whether its queues exist. */
  readonly exists: boolean;
  /** Tasks waiting for a token. */
  readonly waiting: number | null;
  /** Tokens in the bucket. */
  readonly tokens: number | null;
  /** Workers taking its tokens. */
  readonly consumers: number | null;
  /** Whether a worker holds the refiller's baton (none: no worker runs, tokens do not come). */
  readonly refilling: boolean | null;
}

/** The flow control of a work queue. */
export interface FlowStatus {
  /** The partitions that exist. */
  readonly partitions: readonly PartitionStatus[];
  /** The rate limits asked about. */
  readonly limits: readonly LimitStatus[];
}

/**
 * Reads the flow control of `names`: every partition, and the limits of `limitedTasks`.
 *
 * @example
 * ```ts ignore
 * const status = await flowStatus(link, queueNames("jobs"), ["call"]);
 * status.limits[0]?.waiting; // tasks of `call` waiting for a token
 * ```
 */
export async function flowStatus(
  link: Link,
  names: QueueNames,
  limitedTasks: readonly string[] = [],
): Promise<FlowStatus> {
  const flow = flowNames(names);
  const partitions: PartitionStatus[] = [];
  for (let i = 0; i < MAX_PARTITIONS; i++) {
    const counts = await inspectQueue(link, flow.partition(i));
    if (counts === undefined) break;
    partitions.push({ name: flow.partition(i), ...counts });
  }
  const limits: LimitStatus[] = [];
  for (const task of limitedTasks) {
    const [waiting, tokens, baton] = await Promise.all(
      [flow.limited(task), flow.tokens(task), flow.refill(task)].map((q) => inspectQueue(link, q)),
    );
    limits.push({
      task,
      exists: waiting !== undefined,
      waiting: waiting?.ready ?? null,
      tokens: tokens?.ready ?? null,
      consumers: tokens?.consumers ?? null,
      // The baton is held (unacked) while a worker refills: ready 0 with a consumer.
      refilling: baton === undefined ? null : baton.ready === 0 && baton.consumers > 0,
    });
  }
  return { partitions, limits };
}
