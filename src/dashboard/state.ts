/**
 * The dashboard's view of the broker: reads every work queue's numbers once per `interval`
 * (from the management API when given one, else by AMQP passive declares), keeps the latest
 * snapshot and a bounded history for the charts, and hands each new snapshot to its
 * subscribers. However fast tasks flow, the broker is asked once per interval and each browser
 * gets at most one snapshot per interval: the dashboard's cost does not grow with the traffic.
 * For queues with a history, it also follows each one's `Q.events` (a {@linkcode TaskFeed},
 * opened when first asked for, and again after a lost connection): the Tasks page's live feed.
 *
 * @module
 */
import type { Admin } from "../admin/admin.ts";
import { managementConsumers } from "../admin/consumers.ts";
import { type ManagementOptions, managementStatus } from "../admin/management.ts";
import { AMQP_NOTE } from "../admin/status.ts";
import { describeError } from "../errors/describe.ts";
import { pause } from "../util/deadline.ts";
import { MissingQueueError } from "../errors/missing_queue_error.ts";
import { type FeedCounts, type FeedRecord, TaskFeed } from "../history/feed.ts";
import type { SkippedMessages } from "../history/skipped.ts";
import type { TallySummary } from "../history/tally.ts";
import type { TaskState } from "../history/timeline.ts";
import {
  failedSummary,
  type HistoryPoint,
  pointOf,
  type QueueSummary,
  type Snapshot,
  summarize,
  withCounts,
  withFlow,
} from "./snapshot.ts";

/** Options of {@linkcode DashboardState}. */
export interface DashboardStateOptions {
  /** The admin of each work queue, by name, in the order to show them. */
  readonly admins: ReadonlyMap<string, Admin>;
  /** The management API, if any. */
  readonly management?: ManagementOptions;
  /** How often the numbers are read, in milliseconds. */
  readonly interval: number;
  /** How many points of history each queue keeps. */
  readonly historySize: number;
  /** Makes an error message safe to show: removes every password it could hold. */
  readonly redact: (text: string) => string;
  /** The broker asked, without passwords (for AMQP snapshots). */
  readonly from: string;
  /** The rate-limited tasks whose limits to show (on every queue that has them). */
  readonly limits?: readonly string[];
}

/** What the feed of a queue gives: its latest tasks, or that it has no history. */
export type FeedAnswer =
  | {
    readonly history: true;
    readonly tasks: readonly FeedRecord[];
    /** How many of the feed's tasks of the last {@linkcode COUNTS_WINDOW_MS} are in each state. */
    readonly counts: FeedCounts;
    /** Every event of the last hour per task, and the run times of successes. */
    readonly hour: TallySummary;
    /** Whether the feed is still reading the last hour (its counts grow until it has). */
    readonly reading: boolean;
    /** The events the feed could not read, skipped. */
    readonly skipped: SkippedMessages;
  }
  | { readonly history: false; readonly tasks: readonly []; readonly note: string };

/** The window of the Tasks page's counts: the last hour, as the feed's tally. */
export const COUNTS_WINDOW_MS = 60 * 60_000;

/** A listener of new snapshots. */
export type SnapshotListener = (snapshot: Snapshot) => void;

/** See the module documentation. */
export class DashboardState {
  readonly #options: DashboardStateOptions;
  readonly #listeners = new Set<SnapshotListener>();
  readonly #history = new Map<string, HistoryPoint[]>();
  readonly #stop = new AbortController();
  readonly #feeds = new Map<string, Promise<TaskFeed>>();
  #latest: Snapshot | undefined;
  #loop: Promise<void> | undefined;

  /** A state that reads nothing until {@linkcode DashboardState.start}. */
  constructor(options: DashboardStateOptions) {
    this.#options = options;
    for (const queue of options.admins.keys()) this.#history.set(queue, []);
  }

  /** The work queues shown. */
  get queues(): string[] {
    return [...this.#options.admins.keys()];
  }

  /** The admin of work queue `queue`, if it is shown. */
  admin(queue: string): Admin | undefined {
    return this.#options.admins.get(queue);
  }

  /** The latest snapshot, once one was read. */
  get latest(): Snapshot | undefined {
    return this.#latest;
  }

  /** The history of every queue, oldest point first. */
  get history(): Readonly<Record<string, readonly HistoryPoint[]>> {
    return Object.fromEntries(this.#history);
  }

  /** Reads a first snapshot, then one per interval until {@linkcode DashboardState.close}. */
  async start(): Promise<void> {
    await this.refresh();
    this.#loop = (async () => {
      while (!this.#stop.signal.aborted) {
        await pause(this.#options.interval, this.#stop.signal);
        if (!this.#stop.signal.aborted) await this.refresh();
      }
    })();
  }

  /** Hears each new snapshot; returns the function that stops it. */
  subscribe(listener: SnapshotListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Reads a snapshot now and hands it to the subscribers. */
  async refresh(): Promise<Snapshot> {
    const at = Date.now();
    const { management } = this.#options;
    const queues = await Promise.all(this.queues.map((queue) => this.#read(queue)));
    const snapshot: Snapshot = {
      at: new Date(at).toISOString(),
      source: management ? "management" : "amqp",
      from: management ? this.#options.redact(management.url) : this.#options.from,
      queues,
      notes: management
        ? [
          "the management API refreshes its numbers every few seconds (collect_statistics_interval, 5 s by default)",
        ]
        : [
          AMQP_NOTE.replace("over AMQP, ", "Over AMQP, "),
          "Over AMQP the workers show as a number of consumers; the management API names them.",
        ],
    };
    for (const summary of queues) {
      const points = this.#history.get(summary.queue)!;
      points.push(pointOf(summary, at));
      if (points.length > this.#options.historySize) points.shift();
    }
    this.#latest = snapshot;
    for (const listener of this.#listeners) listener(snapshot);
    return snapshot;
  }

  async #read(queue: string): Promise<QueueSummary> {
    const admin = this.#options.admins.get(queue)!;
    const { management } = this.#options;
    try {
      // Flow control comes from AMQP whatever the source: the partitions and the limits.
      const flow = () => admin.flowStatus(this.#options.limits ?? []);
      if (management === undefined) {
        const [report, flowState] = await Promise.all([admin.status(), flow()]);
        return withFlow(summarize(report, null), flowState);
      }
      // The management API's numbers lag by its statistics interval (5 s by default): the
      // counts AMQP gives at once (ready, consumers, dead) come from AMQP, the rest from it.
      const [report, workers, main, dead, flowState] = await Promise.all([
        managementStatus(admin.names, management),
        managementConsumers(admin.names, management),
        admin.counts("main"),
        admin.counts("dead"),
        flow(),
      ]);
      return withFlow(withCounts(summarize(report, workers), main, dead), flowState);
    } catch (err) {
      return failedSummary(queue, this.#options.redact(describeError(err)));
    }
  }

  /**
   * The latest tasks of work queue `queue` (shown), the most recently updated first, from its
   * feed; says so when the queue has no history.
   */
  async tasks(
    queue: string,
    filter: { readonly state?: TaskState; readonly task?: string; readonly limit?: number },
  ): Promise<FeedAnswer> {
    const admin = this.admin(queue);
    if (!admin) throw new MissingQueueError(queue, "the dashboard does not show it");
    let opening = this.#feeds.get(queue);
    if (opening === undefined || (await opening.catch(() => undefined))?.ended !== false) {
      opening = admin.feed({ wait: false });
      this.#feeds.set(queue, opening);
    }
    try {
      const feed = await opening;
      return {
        history: true,
        tasks: feed.tasks(filter),
        counts: feed.counts(COUNTS_WINDOW_MS),
        hour: feed.tally(),
        reading: feed.reading,
        skipped: feed.skipped,
      };
    } catch (err) {
      this.#feeds.delete(queue);
      if (!(err instanceof MissingQueueError)) throw err;
      return {
        history: false,
        tasks: [],
        note:
          `${queue} has no task history: its producers and workers ran with --no-history (without it they record one; see the README's Task history)`,
      };
    }
  }

  /** Stops reading. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    this.#listeners.clear();
    const feeds = await Promise.allSettled(this.#feeds.values());
    this.#feeds.clear();
    await Promise.all(
      feeds.map((feed) => feed.status === "fulfilled" ? feed.value.close() : undefined),
    );
  }
}
