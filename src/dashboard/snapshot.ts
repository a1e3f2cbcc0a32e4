/**
 * What the dashboard shows of the queues at one moment, and a short history of it for the
 * charts; composed from the admin tools' reports by pure functions.
 *
 * @module
 */
import type { ConsumerInfo } from "../admin/consumers.ts";
import type { QueueCounts } from "../admin/queues.ts";
import type { StatusReport, StatusSource } from "../admin/status.ts";
import type { FlowStatus } from "../admin/flow_status.ts";

/** One work queue at one moment. `null`: not known from the source, or not read. */
export interface QueueSummary {
  /** The work queue's name. */
  readonly queue: string;
  /** Whether the work queue exists. */
  readonly exists: boolean;
  /** Tasks ready in the work queue. */
  readonly ready: number | null;
  /** Tasks delivered and not yet acknowledged (management API only). */
  readonly unacked: number | null;
  /** Consumers of the work queue. */
  readonly consumers: number | null;
  /** Tasks waiting in the delay levels (delayed tasks and retries). */
  readonly delayed: number | null;
  /** Dead letters. */
  readonly dead: number | null;
  /** Tasks published to the work queue per second (management API only). */
  readonly publishRate: number | null;
  /** Tasks delivered per second (management API only). */
  readonly deliverRate: number | null;
  /** The consumers, one by one (management API only). */
  readonly workers: readonly ConsumerInfo[] | null;
  /**
   * Its flow control (by AMQP): the key partitions, and the rate limits the dashboard was
   * asked to show; `null` when it has neither.
   */
  readonly flow: FlowStatus | null;
  /** Why the numbers could not be read, if they could not. */
  readonly error: string | null;
}

/** Every work queue at one moment. */
export interface Snapshot {
  /** When it was read (ISO 8601). */
  readonly at: string;
  /** Where the numbers come from. */
  readonly source: StatusSource;
  /** The broker or management API asked, without passwords. */
  readonly from: string;
  /** The work queues, in the order given. */
  readonly queues: readonly QueueSummary[];
  /** What the source cannot tell. */
  readonly notes: readonly string[];
}

/** One point of a queue's history. */
export interface HistoryPoint {
  /** Seconds since the epoch (with milliseconds). */
  readonly t: number;
  /** Ready tasks. */
  readonly ready: number | null;
  /** Delayed tasks. */
  readonly delayed: number | null;
  /** Dead letters. */
  readonly dead: number | null;
  /** Publishes per second. */
  readonly publishRate: number | null;
  /** Deliveries per second. */
  readonly deliverRate: number | null;
}

/** The summary of a work queue from its status report (and its consumers, when known). */
export function summarize(
  report: StatusReport,
  workers: readonly ConsumerInfo[] | null,
): QueueSummary {
  const main = report.queues.find((q) => q.role === "main");
  const dead = report.queues.find((q) => q.role === "dead");
  return {
    queue: report.queue,
    exists: main?.exists ?? false,
    ready: main?.ready ?? null,
    unacked: main?.unacked ?? null,
    consumers: main?.consumers ?? null,
    delayed: report.delayed,
    dead: dead?.exists ? dead.ready : null,
    publishRate: main?.publishRate ?? null,
    deliverRate: main?.deliverRate ?? null,
    workers,
    flow: null,
    error: null,
  };
}

/** `summary` with the ready tasks, consumers and dead letters of AMQP's passive declares. */
export function withCounts(
  summary: QueueSummary,
  main: QueueCounts | undefined,
  dead: QueueCounts | undefined,
): QueueSummary {
  return {
    ...summary,
    exists: main !== undefined,
    ready: main?.ready ?? null,
    consumers: main?.consumers ?? null,
    dead: dead?.ready ?? null,
  };
}

/** The summary of a work queue whose numbers could not be read. */
export function failedSummary(queue: string, error: string): QueueSummary {
  return {
    queue,
    exists: false,
    ready: null,
    unacked: null,
    consumers: null,
    delayed: null,
    dead: null,
    publishRate: null,
    deliverRate: null,
    workers: null,
    flow: null,
    error,
  };
}

/**
 * `summary` with its flow control, when it has some: partitions, or one of the limits asked
 * about (the dashboard shows several queues: a limit that one of them lacks is left out).
 */
export function withFlow(summary: QueueSummary, flow: FlowStatus): QueueSummary {
  const limits = flow.limits.filter((limit) => limit.exists);
  return flow.partitions.length + limits.length > 0
    ? { ...summary, flow: { ...flow, limits } }
    : summary;
}

/** The history point of `summary` at `at` (epoch ms). */
export function pointOf(summary: QueueSummary, at: number): HistoryPoint {
  return {
    t: at / 1000,
    ready: summary.ready,
    delayed: summary.delayed,
    dead: summary.dead,
    publishRate: summary.publishRate,
    deliverRate: summary.deliverRate,
  };
}
