/**
 * The state of a work queue's flow control, by AMQP passive declares: its key partitions
 * (`Q.part.<i>`, probed from 0 up to the first that does not exist) with their ready tasks and
 * consumers, and, for the rate-limited tasks named, their waiting tasks, the tokens in their
 * bucket and whether a worker refills it.
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import { flowNames } from "../flow/names.ts";
import { MAX_PARTITIONS } from "../flow/partitions.ts";
import { inspectQueue } from "./queues.ts";

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
