/**
 * {@linkcode TaskFeed}: the latest tasks of a history stream, followed live. It reads `Q.events`
 * from a time and keeps following it, folding each task's events into its record, and holds
 * the most recently updated tasks only, their long texts cut to {@linkcode FEED_TEXT_MAX}
 * characters (bounds, so that neither a busy queue nor a task's 16 MB error costs more memory):
 * what a dashboard shows as a live feed without reading the stream again on every look. It also
 * counts every event of the last hour per task, with the run times of successes (an
 * {@linkcode EventTally}: exact however many tasks there were, in bounded memory; past 200
 * task names a minute, some are counted together). Events it cannot read are
 * skipped, and counted ({@linkcode TaskFeed.skipped}).
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import { eventBodies, type HistoryEvent, readEvent } from "../wire/events.ts";
import { clipEvent } from "./clip.ts";
import { type SkippedMessages, SkipTally } from "./skipped.ts";
import { StreamReader } from "./stream_reader.ts";
import { EventTally, type TallySummary } from "./tally.ts";
import { applyEvent, type TaskRecord, type TaskState } from "./timeline.ts";

/** The most characters of an error, a result or a note that the feed keeps of a task. */
export const FEED_TEXT_MAX = 1000;

/**
 * Events delivered to the feed at a time: its memory holds at most this many events in flight
 * (each up to the readers' bound of 1 MiB), besides the tasks it keeps.
 */
const FEED_PREFETCH = 50;

/** A task of the feed: its record, and the time of its first event the feed read. */
export type FeedRecord = TaskRecord & {
  /** The earliest time (ISO 8601) of the task's events that the feed read. */
  readonly firstAt: string;
};

/** How many of the feed's tasks are in each state, over all and per task; see {@linkcode TaskFeed.counts}. */
export interface FeedCounts {
  /** The window's start (ISO 8601): the counts are of the tasks updated since. */
  readonly since: string;
  /**
   * Whether the window holds every task updated since `since`: `false` when the feed let older
   * ones go (it keeps `max` tasks), and the counts are then of the tasks it keeps; `false`
   * too while it is still reading what the stream held.
   */
  readonly complete: boolean;
  /** The tasks counted. */
  readonly tasks: number;
  /** How many are in each state (states with none left out). */
  readonly byState: Readonly<Partial<Record<TaskState, number>>>;
  /** Per task name (`?` when no event gave it), the most counted first. */
  readonly byTask: readonly {
    readonly task: string;
    readonly tasks: number;
    readonly byState: Readonly<Partial<Record<TaskState, number>>>;
  }[];
}

/** Options of {@linkcode TaskFeed.open}. */
export interface FeedOptions {
  /**
   * Read from this time: the tally ({@linkcode TaskFeed.tally}) is complete once its window
   * starts after it.
   * @default {the start of the minute an hour ago}
   */
  since?: Date;
  /**
   * The window of the tally, in milliseconds.
   * @default {3600000}
   */
  tallyWindowMs?: number;
  /**
   * Resolve {@linkcode TaskFeed.open} once what the stream held is read; with `false`, as soon
   * as the reading began ({@linkcode TaskFeed.reading} says until when it goes on): what a
   * dashboard does, so that a long hour does not hold its first answer back.
   * @default {true}
   */
  wait?: boolean;
  /**
   * Most tasks kept: beyond, the least recently updated go.
   * @default {2000}
   */
  max?: number;
}

/** The latest tasks of a history stream; see the module documentation. */
export class TaskFeed {
  readonly #records = new Map<string, FeedRecord>();
  readonly #max: number;
  readonly #since: Date;
  readonly #skipped = new SkipTally();
  readonly #tally: EventTally;
  #trimmed = false;
  #reading = true;
  #reader: StreamReader | undefined;
  #ended = false;

  private constructor(max: number, since: Date, tallyWindowMs: number) {
    this.#max = max;
    this.#since = since;
    this.#tally = new EventTally({ windowMs: tallyWindowMs, began: since });
  }

  /**
   * Starts following `Q.events` on `link`; resolves once what the stream held is read (unless
   * `options.wait` is `false`). Rejects with a `MissingQueueError` when the queue has no
   * history.
   */
  static async open(link: Link, names: QueueNames, options: FeedOptions = {}): Promise<TaskFeed> {
    const tallyWindowMs = options.tallyWindowMs ?? 3_600_000;
    // From the start of the window's first minute, which the tally counts whole.
    const since = options.since ??
      new Date(Math.floor((Date.now() - tallyWindowMs) / 60_000) * 60_000);
    const feed = new TaskFeed(options.max ?? 2000, since, tallyWindowMs);
    feed.#reader = await StreamReader.open(link, names.events, (message, offset) => {
      for (const body of eventBodies(message)) {
        const read = readEvent(body);
        if (read.ok) {
          // The tally names tasks as the feed does (a long name cut alike).
          const event = clipEvent(read.event, FEED_TEXT_MAX);
          feed.#tally.add(event);
          feed.#apply(event);
        } else feed.#skipped.add(offset, read.problem, read.detail);
      }
    }, { from: since, prefetch: FEED_PREFETCH, missingHint: "the queue has no history" });
    feed.#reader.ended.catch(() => {}).finally(() => (feed.#ended = true));
    const caughtUp = feed.#reader.caughtUp.finally(() => (feed.#reading = false));
    if (options.wait ?? true) await caughtUp;
    else caughtUp.catch(() => {});
    return feed;
  }

  /** The events the feed could not read, skipped, since it opened. */
  get skipped(): SkippedMessages {
    return this.#skipped.summary;
  }

  /** Whether the feed is still reading what the stream held when it opened. */
  get reading(): boolean {
    return this.#reading;
  }

  /** Whether the feed stopped following (its connection was lost, or it was closed). */
  get ended(): boolean {
    return this.#ended;
  }

  /** The tasks, the most recently updated first, filtered, at most `limit`. */
  tasks(
    filter: { readonly state?: TaskState; readonly task?: string; readonly limit?: number } = {},
  ): FeedRecord[] {
    const matching: FeedRecord[] = [];
    for (const record of [...this.#records.values()].reverse()) {
      if (filter.state !== undefined && record.state !== filter.state) continue;
      if (filter.task !== undefined && record.task !== filter.task) continue;
      matching.push(record);
      if (matching.length === (filter.limit ?? 100)) break;
    }
    return matching;
  }

  /**
   * How many of the tasks updated in the last `windowMs` milliseconds (not before the feed's
   * start) are in each state, over all and per task: counted from the tasks the feed keeps,
   * without reading the stream again.
   */
  counts(windowMs: number, now: number = Date.now()): FeedCounts {
    const start = Math.max(now - windowMs, this.#since.getTime());
    const since = new Date(start).toISOString();
    const byState: Partial<Record<TaskState, number>> = {};
    const byTask = new Map<
      string,
      { tasks: number; byState: Partial<Record<TaskState, number>> }
    >();
    let tasks = 0;
    let oldest: string | undefined;
    for (const record of this.#records.values()) {
      if (oldest === undefined || record.updatedAt < oldest) oldest = record.updatedAt;
      if (record.updatedAt < since) continue;
      tasks++;
      byState[record.state] = (byState[record.state] ?? 0) + 1;
      const name = record.task ?? "?";
      const entry = byTask.get(name) ?? { tasks: 0, byState: {} };
      entry.tasks++;
      entry.byState[record.state] = (entry.byState[record.state] ?? 0) + 1;
      byTask.set(name, entry);
    }
    // Tasks let go may have been updated in the window when even the oldest kept one was.
    const complete = !this.#reading &&
      (!this.#trimmed || oldest === undefined || oldest < since);
    return {
      since,
      complete,
      tasks,
      byState,
      byTask: [...byTask].map(([task, entry]) => ({ task, ...entry }))
        .sort((a, b) => b.tasks - a.tasks || (a.task < b.task ? -1 : 1)),
    };
  }

  /**
   * Every event of the tally's window (the last hour by default) per task, and the run times
   * of successes: counted as the feed read them, whatever it let go since. Not `complete`
   * while the feed is still reading what the stream held.
   */
  tally(): TallySummary {
    const summary = this.#tally.summary();
    return this.#reading ? { ...summary, complete: false } : summary;
  }

  /** Stops following. */
  async close(): Promise<void> {
    this.#ended = true;
    await this.#reader?.stop();
  }

  #apply(event: HistoryEvent): void {
    const before = this.#records.get(event.id);
    this.#records.delete(event.id);
    const firstAt = before === undefined || event.at < before.firstAt ? event.at : before.firstAt;
    this.#records.set(event.id, { ...applyEvent(before, event), firstAt });
    if (this.#records.size > this.#max) {
      this.#records.delete(this.#records.keys().next().value!);
      this.#trimmed = true;
    }
  }
}
