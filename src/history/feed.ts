/**
 * {@linkcode TaskFeed}: the latest tasks of a history stream, followed live. It reads `Q.events`
 * from a time and keeps following it, folding each task's events into its record, and holds
 * the most recently updated tasks only (a bound, so a busy queue costs no more memory): what a
 * dashboard shows as a live feed without reading the stream again on every look.
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import { decodeEvent, eventBodies } from "../wire/events.ts";
import { StreamReader } from "./stream_reader.ts";
import { applyEvent, type TaskRecord, type TaskState } from "./timeline.ts";

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
    feed.#reader = await StreamReader.open(link, names.events, (message) => {
      for (const body of eventBodies(message)) {
        const event = decodeEvent(body);
        if (event) feed.#apply(event);
      }
    }, { from: since, missingHint: "the queue has no history" });
    feed.#reader.ended.catch(() => {}).finally(() => (feed.#ended = true));
    await feed.#reader.caughtUp;
    return feed;
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

  #apply(event: Parameters<typeof applyEvent>[1]): void {
    const before = this.#records.get(event.id);
    this.#records.delete(event.id);
    this.#records.set(event.id, applyEvent(before, event));
    if (this.#records.size > this.#max) {
      this.#records.delete(this.#records.keys().next().value!);
    }
  }
}
