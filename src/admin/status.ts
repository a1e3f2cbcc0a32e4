/**
 * The state of a work queue's queues (`Q`, its delay queues `Q.retry.<ms>`, `Q.dead`), and how to
 * read it over AMQP: passive declares give ready messages and consumers; unacknowledged
 * messages and rates are only known to the management API (see `management.ts`).
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import { inspectQueue } from "./queues.ts";

/** The part a queue plays for a work queue. */
export type QueueRole = "main" | "retry" | "dead";

/** Where the numbers of a {@linkcode StatusReport} came from. */
export type StatusSource = "management" | "amqp";

/** The numbers of one queue. `null` means "not known from this source". */
export interface QueueStatus {
  /** The queue's name. */
  readonly name: string;
  /** The part it plays. */
  readonly role: QueueRole;
  /** For delay queues: the delay in milliseconds. */
  readonly delayMs?: number;
  /** Whether the queue exists (delay queues are only listed when they do). */
  readonly exists: boolean;
  /** Messages ready for delivery. */
  readonly ready: number | null;
  /** Messages delivered and not yet acknowledged (management API only). */
  readonly unacked: number | null;
  /** Consumers attached. */
  readonly consumers: number | null;
  /** Messages published per second (management API only). */
  readonly publishRate: number | null;
  /** Messages delivered or fetched per second (management API only). */
  readonly deliverRate: number | null;
}

/** The state of a work queue's queues at one moment. */
export interface StatusReport {
  /** The work queue's name. */
  readonly queue: string;
  /** Where the numbers came from. */
  readonly source: StatusSource;
  /** The broker or management URL asked, with any password redacted. */
  readonly from: string;
  /** When the numbers were read (ISO 8601). */
  readonly at: string;
  /** The main queue, then the delay queues that exist (shortest delay first), then `Q.dead`. */
  readonly queues: readonly QueueStatus[];
  /** What the source cannot tell, and other remarks. */
  readonly notes: readonly string[];
}

/** Options of {@linkcode amqpStatus}. */
export interface AmqpStatusOptions {
  /**
   * The delays (ms) whose queues `Q.retry.<ms>` are probed; see `possibleRetryDelays`.
   * @default {[]}
   */
  retryDelays?: readonly number[];
  /**
   * The broker URL, redacted, for the report's `from`.
   * @default {""}
   */
  from?: string;
}

/** The note every AMQP report carries. */
export const AMQP_NOTE =
  "over AMQP, unacked messages and rates are n/a: give --management http://HOST:15672 (or WARREN_MANAGEMENT_URL, added to --allow-env) to read them from the management API";

/** A queue's row when its name says which role it plays; `undefined` for other queues. */
export function queueRole(
  names: QueueNames,
  name: string,
): { role: QueueRole; delayMs?: number } | undefined {
  if (name === names.main) return { role: "main" };
  if (name === names.dead) return { role: "dead" };
  const prefix = `${names.main}.retry.`;
  if (name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length))) {
    return { role: "retry", delayMs: Number(name.slice(prefix.length)) };
  }
  return undefined;
}

/** Puts rows in report order: main, delay queues by delay, dead. */
export function sortQueues(queues: readonly QueueStatus[]): QueueStatus[] {
  const rank = { main: 0, retry: 1, dead: 2 } as const;
  return [...queues].sort((a, b) =>
    rank[a.role] - rank[b.role] || (a.delayMs ?? 0) - (b.delayMs ?? 0)
  );
}

/** A row for a queue that does not exist. */
export function missingQueue(name: string, role: QueueRole): QueueStatus {
  return {
    name,
    role,
    exists: false,
    ready: null,
    unacked: null,
    consumers: null,
    publishRate: null,
    deliverRate: null,
  };
}

/**
 * Reads the state of the queues of `names` by passive declares: the main and dead queues
 * always (a missing one is reported as such), and each probed delay queue that exists.
 */
export async function amqpStatus(
  link: Link,
  names: QueueNames,
  options: AmqpStatusOptions = {},
): Promise<StatusReport> {
  const at = new Date().toISOString();
  const wanted: Array<{ name: string; role: QueueRole; delayMs?: number }> = [
    { name: names.main, role: "main" },
    ...(options.retryDelays ?? []).map((delayMs) => ({
      name: names.retry(delayMs),
      role: "retry" as const,
      delayMs: Math.round(delayMs),
    })),
    { name: names.dead, role: "dead" },
  ];
  // Probes run side by side, each on its own channel: a missing queue closes only its own.
  const found = await Promise.all(wanted.map((queue) => inspectQueue(link, queue.name)));
  const rows = wanted.flatMap((queue, i): QueueStatus[] => {
    const counts = found[i];
    if (counts === undefined) {
      return queue.role === "retry" ? [] : [missingQueue(queue.name, queue.role)];
    }
    return [{
      ...queue,
      exists: true,
      ready: counts.ready,
      unacked: null,
      consumers: counts.consumers,
      publishRate: null,
      deliverRate: null,
    }];
  });
  const probed = options.retryDelays?.length ?? 0;
  return {
    queue: names.main,
    source: "amqp",
    from: options.from ?? "",
    at,
    queues: sortQueues(rows),
    notes: [
      AMQP_NOTE,
      `AMQP cannot list queues: ${probed} retry queue name(s) were probed (the delays the catalog's backoff settings can produce); the management API lists them all`,
    ],
  };
}
