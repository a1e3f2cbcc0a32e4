/**
 * {@linkcode EventWriter}: writes history events in batches, several to a stream message. Each
 * event written resolves once the broker confirmed the message that holds it, so a worker can
 * ack a task once its outcome is in the history, while the events of every task settled in the
 * same turn of the event loop go out, and are confirmed, together.
 *
 * An event is either urgent (an outcome, which an ack waits for: the batch goes at the end of
 * the turn) or lazy (a `started`: it waits up to `lingerMs` for company). A task that ends
 * within the linger has its `started` written in the same message as its outcome, at no cost
 * of its own; one that runs longer has it written when the linger is over. Events keep their
 * order: a batch holds them as they were written.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { setImmediate } from "node:timers";
import { encodeEvents, eventJson, type NewHistoryEvent } from "../wire/events.ts";

/** Publishes one message of events; resolves when the broker confirmed it. */
export type PublishEvents = (body: Buffer, properties: {
  readonly correlationId?: string;
  readonly type: string;
  readonly contentType: string;
}) => Promise<void>;

/** Options of {@linkcode EventWriter}. */
export interface EventWriterOptions {
  /**
   * How long a lazy event waits for others before it goes alone, in milliseconds.
   * @default {DEFAULT_LINGER_MS}
   */
  lingerMs?: number;
  /**
   * Most bytes of events in one message; an event larger goes alone.
   * @default {DEFAULT_BATCH_BYTES}
   */
  maxBatchBytes?: number;
  /**
   * Most events in one message.
   * @default {DEFAULT_BATCH_EVENTS}
   */
  maxBatchEvents?: number;
}

/** Default of {@linkcode EventWriterOptions.lingerMs}: 5 ms. */
export const DEFAULT_LINGER_MS = 5;
/** Default of {@linkcode EventWriterOptions.maxBatchBytes}: 512 KiB. */
export const DEFAULT_BATCH_BYTES = 512 * 1024;
/** Default of {@linkcode EventWriterOptions.maxBatchEvents}: 1,000. */
export const DEFAULT_BATCH_EVENTS = 1000;

interface Queued {
  readonly id: string;
  readonly json: string;
  readonly done: PromiseWithResolvers<void>;
}

/**
 * Batches history events; see the module documentation.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { EventWriter } from "./event_writer.ts";
 *
 * const messages: string[] = [];
 * const writer = new EventWriter(async (body) => {
 *   messages.push(body.toString());
 * });
 * const started = { event: "started", id: "t1", task: "sum", worker: "w1", attempt: 1 } as const;
 * writer.write(started, { lazy: true });
 * await writer.write({ ...started, event: "succeeded", ms: 1, result: 3 });
 * assertEquals(messages.length, 1); // the start and the outcome went in one message
 * ```
 */
export class EventWriter {
  readonly #publish: PublishEvents;
  readonly #lingerMs: number;
  readonly #maxBytes: number;
  readonly #maxEvents: number;
  #queue: Queued[] = [];
  #bytes = 0;
  #soon = false;
  /** The linger's timer: armed by a lazy event, cleared by a flush. */
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** A writer that sends its messages with `publish`. */
  constructor(publish: PublishEvents, options: EventWriterOptions = {}) {
    this.#publish = publish;
    this.#lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
    this.#maxBytes = options.maxBatchBytes ?? DEFAULT_BATCH_BYTES;
    this.#maxEvents = options.maxBatchEvents ?? DEFAULT_BATCH_EVENTS;
  }

  /** How many events wait to be sent. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Writes `event` (stamped now, unless it has its `at`); resolves when the broker confirmed
   * it, and rejects with the publish's error. With `lazy`, it may wait up to the linger for
   * others; with `now`, it goes at once with what waits (nothing else will come this turn).
   * Throws at once when the event cannot be encoded.
   */
  write(
    event: NewHistoryEvent,
    options: { readonly lazy?: boolean; readonly now?: boolean } = {},
  ): Promise<void> {
    const json = eventJson(event);
    const done = Promise.withResolvers<void>();
    this.#queue.push({ id: event.id, json, done });
    this.#bytes += json.length;
    if (
      options.now || this.#queue.length >= this.#maxEvents || this.#bytes >= this.#maxBytes
    ) {
      this.flush();
    } else if (!options.lazy) {
      if (!this.#soon) {
        this.#soon = true;
        setImmediate(() => this.#soon && this.flush());
      }
    } else if (this.#timer === undefined) {
      // Cleared by the flush that takes the event: a timer that ran out for nothing would
      // wake the process once a task at prefetch 1.
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, this.#lingerMs);
    }
    return done.promise;
  }

  /** Sends every waiting event now. */
  flush(): void {
    this.#soon = false;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const queue = this.#queue;
    if (queue.length === 0) return;
    this.#queue = [];
    this.#bytes = 0;
    // Batches within the byte bound; an event over it goes alone.
    let batch: Queued[] = [];
    let bytes = 0;
    for (const item of queue) {
      if (batch.length > 0 && bytes + item.json.length > this.#maxBytes) {
        this.#send(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(item);
      bytes += item.json.length + 1;
    }
    this.#send(batch);
  }

  /** Fails every waiting event with `reason` (the session that would send them is gone). */
  abandon(reason: unknown): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#soon = false;
    const queue = this.#queue;
    this.#queue = [];
    this.#bytes = 0;
    for (const item of queue) item.done.reject(reason);
  }

  #send(batch: readonly Queued[]): void {
    let published: Promise<void>;
    try {
      const { body, properties } = encodeEvents(batch);
      published = this.#publish(body, properties);
    } catch (err) {
      published = Promise.reject(err);
    }
    published.then(
      () => batch.forEach((item) => item.done.resolve()),
      (err) => batch.forEach((item) => item.done.reject(err)),
    );
  }
}
