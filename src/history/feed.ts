/**
 * {@linkcode TaskFeed}: the latest tasks of a history stream, followed live. It reads `Q.events`
 * from a time and keeps following it, folding each task's events into its record, and holds
 * the most recently updated tasks only, their long texts cut to {@linkcode FEED_TEXT_MAX}
 * characters (bounds, so that neither a busy queue nor a task's 16 MB error costs more memory):
 * what a dashboard shows as a live feed without reading the stream again on every look. Events
 * it cannot read are skipped, and counted ({@linkcode TaskFeed.skipped}).
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import { type HistoryEvent, readEvent } from "../wire/events.ts";
import { clipEvent } from "./clip.ts";
import { type SkippedMessages, SkipTally } from "./skipped.ts";
import { StreamReader } from "./stream_reader.ts";
import { applyEvent, type TaskRecord, type TaskState } from "./timeline.ts";

/** The most characters of an error, a result or a note that the feed keeps of a task. */
export const FEED_TEXT_MAX = 1000;

/**
 * Events delivered to the feed at a time: its memory holds at most this many events in flight
 * (each up to the readers' bound of 1 MiB), besides the tasks it keeps.
 */
const FEED_PREFETCH = 50;

/** Options of {@linkcode TaskFeed.open}. */
export interface FeedOptions {
  /**
   * Read from this time.
   * @default {15 minutes ago}
   */
  since?: Date;
  /**
   * Most tasks kept: beyond, the least recently updated go.
   * @default {2000}
   */
  max?: number;
}

/** The latest tasks of a history stream; see the module documentation. */
export class TaskFeed {
  readonly #records = new Map<string, TaskRecord>();
  readonly #max: number;
  readonly #skipped = new SkipTally();
  #reader: StreamReader | undefined;
  #ended = false;

  private constructor(max: number) {
    this.#max = max;
  }

  /**
   * Starts following `Q.events` on `link`; resolves once what the stream held is read. Rejects
   * with a `MissingQueueError` when the queue has no history.
   */
  static async open(link: Link, names: QueueNames, options: FeedOptions = {}): Promise<TaskFeed> {
    const feed = new TaskFeed(options.max ?? 2000);
    const since = options.since ?? new Date(Date.now() - 15 * 60_000);
    feed.#reader = await StreamReader.open(link, names.events, (message, offset) => {
      const read = readEvent(message.content);
      if (read.ok) feed.#apply(clipEvent(read.event, FEED_TEXT_MAX));
      else feed.#skipped.add(offset, read.problem, read.detail);
    }, { from: since, prefetch: FEED_PREFETCH, missingHint: "the queue has no history" });
    feed.#reader.ended.catch(() => {}).finally(() => (feed.#ended = true));
    await feed.#reader.caughtUp;
    return feed;
  }

  /** The events the feed could not read, skipped, since it opened. */
  get skipped(): SkippedMessages {
    return this.#skipped.summary;
  }

  /** Whether the feed stopped following (its connection was lost, or it was closed). */
  get ended(): boolean {
    return this.#ended;
  }

  /** The tasks, the most recently updated first, filtered, at most `limit`. */
  tasks(
    filter: { readonly state?: TaskState; readonly task?: string; readonly limit?: number } = {},
  ): TaskRecord[] {
    const matching: TaskRecord[] = [];
    for (const record of [...this.#records.values()].reverse()) {
      if (filter.state !== undefined && record.state !== filter.state) continue;
      if (filter.task !== undefined && record.task !== filter.task) continue;
      matching.push(record);
      if (matching.length === (filter.limit ?? 100)) break;
    }
    return matching;
  }

  /** Stops following. */
  async close(): Promise<void> {
    this.#ended = true;
    await this.#reader?.stop();
  }

  #apply(event: HistoryEvent): void {
    const before = this.#records.get(event.id);
    this.#records.delete(event.id);
    this.#records.set(event.id, applyEvent(before, event));
    if (this.#records.size > this.#max) {
      this.#records.delete(this.#records.keys().next().value!);
    }
  }
}
