/**
 * The state of a work queue's queues (`Q`, its delay levels `Q.wait.<k>` and any `Q.delay.<k>`
 * of the first delay levels, any `Q.retry.<ms>`
 * that Warren 0.1 left, `Q.dead`), and how to read it over AMQP: passive declares give ready
 * messages and consumers; unacknowledged messages and rates are only known to the management
 * API (see `management.ts`).
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import { DELAY_LEVELS, DELAY_UNIT_MS } from "../wire/delays.ts";
import { inspectQueue } from "./queues.ts";
import type { StreamCheck } from "./stream_check.ts";
import {
  CONTROL_MAX_BYTES,
  DEFAULT_HISTORY_MAX_AGE_MS,
  DEFAULT_HISTORY_MAX_BYTES,
} from "../history/options.ts";

/**
 * The part a queue plays for a work queue: `retry` is a delay queue of Warren 0.1, `join` the
 * queue where workflows' members report to their joins.
 */
export type QueueRole = "main" | "delay" | "retry" | "dead" | "events" | "control" | "join";

/** Where the numbers of a {@linkcode StatusReport} came from. */
export type StatusSource = "management" | "amqp";

/** The numbers of one queue. `null` means "not known from this source". */
export interface QueueStatus {
  /** The queue's name. */
  readonly name: string;
  /** The part it plays. */
  readonly role: QueueRole;
  /** For delay levels and Warren 0.1's delay queues: how long a message waits there, in ms. */
  readonly delayMs?: number;
  /** Whether the queue exists (delay queues are only listed when they do). */
  readonly exists: boolean;
  /** Messages ready for delivery (in a delay queue: messages waiting). */
  readonly ready: number | null;
  /** Messages delivered and not yet acknowledged (management API only). */
  readonly unacked: number | null;
  /** Consumers attached. */
  readonly consumers: number | null;
  /** Messages published per second (management API only). */
  readonly publishRate: number | null;
  /** Messages delivered or fetched per second (management API only). */
  readonly deliverRate: number | null;
  /**
   * A stream's retention, as it was declared (management API only: AMQP cannot read a queue's
   * arguments); `null` in a field the stream was declared without.
   */
  readonly retention?: StreamRetentionArguments;
}

/** A stream's retention arguments: `x-max-age` (`"604800s"`) and `x-max-length-bytes`. */
export interface StreamRetentionArguments {
  /** How long it keeps messages, as RabbitMQ takes it (`"7D"`, `"604800s"`). */
  readonly maxAge: string | null;
  /** How many bytes it keeps. */
  readonly maxBytes: number | null;
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
  /** The main queue, then the delay queues that exist (shortest first), then `Q.dead`. */
  readonly queues: readonly QueueStatus[];
  /** Tasks waiting in the delay queues (delayed tasks and retries), when known. */
  readonly delayed: number | null;
  /** What the source cannot tell, and other remarks. */
  readonly notes: readonly string[];
  /** What a check of `Q.events` and `Q.control` found (when asked for, and they exist). */
  readonly streams?: readonly StreamCheck[];
}

/** Options of {@linkcode amqpStatus}. */
export interface AmqpStatusOptions {
  /**
   * The broker URL, redacted, for the report's `from`.
   * @default {""}
   */
  from?: string;
}

/** The note every AMQP report carries. */
export const AMQP_NOTE =
  "over AMQP, unacked messages and rates are n/a: give --management http://HOST:15672 (or WARREN_MANAGEMENT_URL, added to --allow-env) to read them from the management API";

/** The note of a report that lists delay queues of Warren 0.1 (`Q.retry.<ms>`). */
export function retryQueuesNote(names: QueueNames): string {
  return `${names.main}.retry.<ms> are delay queues of Warren 0.1: they empty themselves into ${names.main} as their delays pass; delete each once it is empty`;
}

/** A queue's row when its name says which role it plays; `undefined` for other queues. */
export function queueRole(
  names: QueueNames,
  name: string,
): { role: QueueRole; delayMs?: number } | undefined {
  if (name === names.main) return { role: "main" };
  if (name === names.dead) return { role: "dead" };
  if (name === names.events) return { role: "events" };
  if (name === names.control) return { role: "control" };
  if (name === names.join) return { role: "join" };
  const infixes = [["delay", ".wait."], ["delay", ".delay."], ["retry", ".retry."]] as const;
  for (const [role, infix] of infixes) {
    const prefix = `${names.main}${infix}`;
    const rest = name.slice(prefix.length);
    if (!name.startsWith(prefix) || !/^\d+$/.test(rest)) continue;
    const delayMs = role === "delay" ? 2 ** Number(rest) * DELAY_UNIT_MS : Number(rest);
    // (`.delay.<k>` names a level's queue of the first delay levels, still emptying itself.)
    return { role, delayMs };
  }
  return undefined;
}

/** Puts rows in report order: main, delay queues by delay, dead, join, then the streams. */
export function sortQueues(queues: readonly QueueStatus[]): QueueStatus[] {
  const rank = { main: 0, delay: 1, retry: 2, dead: 3, join: 4, events: 5, control: 6 } as const;
  return [...queues].sort((a, b) =>
    rank[a.role] - rank[b.role] || (a.delayMs ?? 0) - (b.delayMs ?? 0)
  );
}

/** How many tasks wait in the delay queues of `queues`, `null` if a count is not known. */
export function delayedCount(queues: readonly QueueStatus[]): number | null {
  let total = 0;
  for (const queue of queues) {
    if (queue.role !== "delay" && queue.role !== "retry") continue;
    if (queue.ready === null) return null;
    total += queue.ready;
  }
  return total;
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
 * always (a missing one is reported as such), and the delay levels that exist (they are
 * declared from the lowest up, so the first missing one ends the search).
 */
export async function amqpStatus(
  link: Link,
  names: QueueNames,
  options: AmqpStatusOptions = {},
): Promise<StatusReport> {
  const at = new Date().toISOString();
  const row = (name: string, role: QueueRole, counts: { ready: number; consumers: number }) => ({
    name,
    ...(queueRole(names, name) ?? { role }),
    exists: true,
    ready: counts.ready,
    unacked: null,
    consumers: counts.consumers,
    publishRate: null,
    deliverRate: null,
  });
  // Each probe on its own channel: a missing queue closes only its own.
  const [main, dead] = await Promise.all(
    [names.main, names.dead].map((q) => inspectQueue(link, q)),
  );
  const rows: QueueStatus[] = [
    main ? row(names.main, "main", main) : missingQueue(names.main, "main"),
    dead ? row(names.dead, "dead", dead) : missingQueue(names.dead, "dead"),
  ];
  // The levels' queues, then those of the first delay levels that are left (emptying themselves).
  for (const level of [names.wait, names.delay]) {
    for (let k = 0; k < DELAY_LEVELS; k++) {
      const counts = await inspectQueue(link, level(k));
      if (counts === undefined) break;
      rows.push(row(level(k), "delay", counts));
    }
  }
  // The streams exist once history or cancels were used, the join queue once a worker was
  // given workflows: shown when they do.
  const others: ReadonlyArray<readonly [string, QueueRole]> = [
    [names.join, "join"],
    [names.events, "events"],
    [names.control, "control"],
  ];
  for (const [name, role] of others) {
    const counts = await inspectQueue(link, name);
    if (counts) rows.push(row(name, role, counts));
  }
  return {
    queue: names.main,
    source: "amqp",
    from: options.from ?? "",
    at,
    queues: sortQueues(rows),
    delayed: delayedCount(rows),
    // (Warren 0.1's delay queues, `Q.retry.<ms>`, cannot be found over AMQP: their names hold a
    // jittered delay. The management API lists them; the README's "From Warren 0.1" says so.)
    notes: [
      AMQP_NOTE,
      ...(rows.some((row) => row.role === "events" || row.role === "control")
        ? [retentionNote(names)]
        : []),
    ],
  };
}

/** What AMQP cannot tell of the streams' retention of `names`, and what Warren creates them with. */
function retentionNote(names: QueueNames): string {
  const days = DEFAULT_HISTORY_MAX_AGE_MS / 86_400_000;
  return `${names.events} and ${names.control} keep the retention they were created with: Warren creates them with ${days} days and ${
    DEFAULT_HISTORY_MAX_BYTES / 1e9
  } GB, and ${days} days and ${
    CONTROL_MAX_BYTES / 1e6
  } MB, unless given historyMaxAge or historyMaxBytes (AMQP cannot read them: --management shows each one's)`;
}
