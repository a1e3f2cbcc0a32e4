/**
 * Waiting for the outcomes of many tasks from the history at once, on one stream consumer: a
 * producer that awaits a thousand results (a thousand workflows started together, say) holds one
 * consumer of `Q.events`, not a thousand (each of which holds files open on the broker, which
 * then runs out of them).
 *
 * The follower tails the stream from just before the first waiter came, and hands each event to
 * the waiters of its task. What happened before a waiter came is read once per batch of waiters
 * that came together: one read from the earliest start among them (see `lookupStart`) up to
 * now. A tail that ends (a lost connection) starts again, and the waiters left are caught up
 * again from their starts: an outcome read twice resolves once.
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import { ResultTimeoutError } from "../errors/result_timeout_error.ts";
import type { HistoryEvent } from "../wire/events.ts";
import { outcomeOf, type ProgressEvent } from "../wire/events.ts";
import type { TaskOutcome } from "../wire/outcome_codec.ts";
import type { ConsumeMessage } from "../deps/amqplib.ts";
import { type AwaitOptions, eventsOf, lookupStart, MISSING_HINT } from "./lookup.ts";
import { SkipTally } from "./skipped.ts";
import { readUntilNow, StreamReader, type StreamStart } from "./stream_reader.ts";

/** How far before the first waiter the tail starts: the stream's timestamps are in seconds. */
const TAIL_MARGIN_MS = 2_000;

interface Waiter {
  readonly id: string;
  readonly start: StreamStart;
  readonly outcome: PromiseWithResolvers<TaskOutcome>;
  readonly onProgress: ((event: ProgressEvent) => void) | undefined;
  /** The progress reports heard (by offset and place), as the tail and a catch-up overlap. */
  readonly heard: Set<string>;
}

/** The outcomes awaited by one producer; see the module documentation. */
export class OutcomeFollower {
  readonly #link: () => Promise<Link>;
  readonly #names: QueueNames;
  readonly #waiters = new Map<string, Set<Waiter>>();
  #tail: Promise<StreamReader> | undefined;
  #pending: Waiter[] = [];
  #catchingUp = false;

  /** A follower that reads on the link `link()` gives (the live one). */
  constructor(link: () => Promise<Link>, names: QueueNames) {
    this.#link = link;
    this.#names = names;
  }

  /** How many outcomes are awaited. */
  get waiting(): number {
    let count = 0;
    for (const set of this.#waiters.values()) count += set.size;
    return count;
  }

  /**
   * The outcome of task `id` as the history tells it: at once when it has finished, else when
   * it does. Rejects with a `ResultTimeoutError` after `options.timeout`.
   */
  async wait(id: string, options: AwaitOptions): Promise<TaskOutcome> {
    const waiter: Waiter = {
      id,
      start: lookupStart(id, options.since),
      outcome: Promise.withResolvers<TaskOutcome>(),
      onProgress: options.onProgress,
      heard: new Set(),
    };
    const set = this.#waiters.get(id) ?? new Set();
    set.add(waiter);
    this.#waiters.set(id, set);
    const timer = setTimeout(
      () => waiter.outcome.reject(new ResultTimeoutError(id, options.timeout)),
      options.timeout,
    );
    const abort = () => waiter.outcome.reject(options.signal?.reason);
    if (options.signal?.aborted) abort();
    options.signal?.addEventListener("abort", abort, { once: true });
    try {
      this.#startTail().catch((err) => waiter.outcome.reject(err));
      this.#pending.push(waiter);
      this.#catchUp();
      return await waiter.outcome.promise;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", abort);
      set.delete(waiter);
      if (set.size === 0 && this.#waiters.get(id) === set) this.#waiters.delete(id);
      if (this.#waiters.size === 0) this.#stopTail();
    }
  }

  /** Gives `event` to the waiters of its task. */
  #deliver(event: HistoryEvent, at: string, only?: ReadonlySet<Waiter>): void {
    const set = this.#waiters.get(event.id);
    if (!set) return;
    const outcome = outcomeOf(event);
    for (const waiter of set) {
      if (only && !only.has(waiter)) continue;
      if (event.event === "progress" && !waiter.heard.has(at)) {
        waiter.heard.add(at);
        waiter.onProgress?.(event);
      }
      if (outcome) waiter.outcome.resolve(outcome);
    }
  }

  #startTail(): Promise<StreamReader> {
    if (this.#tail) return this.#tail;
    const skipped = new SkipTally();
    const tail = this.#link().then((link) =>
      StreamReader.open(link, this.#names.events, (message: ConsumeMessage, offset: number) => {
        eventsOf(message, offset, skipped).forEach((event, i) =>
          this.#deliver(event, `${offset}.${i}`)
        );
      }, {
        from: new Date(Date.now() - TAIL_MARGIN_MS),
        mark: false,
        missingHint: MISSING_HINT,
      })
    );
    this.#tail = tail;
    tail.then((reader) =>
      reader.ended.then(() => {
        if (this.#tail !== tail) return;
        // Ended under us (a lost connection): start again, and catch the waiters up anew.
        this.#tail = undefined;
        if (this.#waiters.size === 0) return;
        for (const set of this.#waiters.values()) this.#pending.push(...set);
        this.#startTail().catch((err) => this.#rejectAll(err));
        this.#catchUp();
      })
    ).catch(() => {
      if (this.#tail === tail) this.#tail = undefined;
    });
    return tail;
  }

  #stopTail(): void {
    const tail = this.#tail;
    this.#tail = undefined;
    tail?.then((reader) => reader.stop()).catch(() => {});
  }

  #rejectAll(err: unknown): void {
    for (const set of this.#waiters.values()) {
      for (const waiter of set) waiter.outcome.reject(err);
    }
  }

  /** Reads what the pending waiters missed, a batch at a time. */
  #catchUp(): void {
    if (this.#catchingUp) return;
    this.#catchingUp = true;
    (async () => {
      while (this.#pending.length > 0) {
        const batch = new Set(this.#pending.splice(0));
        let from: StreamStart | undefined;
        for (const waiter of batch) from = earliest(from, waiter.start);
        try {
          const skipped = new SkipTally();
          await readUntilNow(await this.#link(), this.#names.events, (message, offset) => {
            eventsOf(message, offset, skipped).forEach((event, i) =>
              this.#deliver(event, `${offset}.${i}`, batch)
            );
          }, { from: from ?? "first", missingHint: MISSING_HINT });
        } catch (err) {
          for (const waiter of batch) waiter.outcome.reject(err);
        }
      }
    })().finally(() => {
      this.#catchingUp = false;
      if (this.#pending.length > 0) this.#catchUp();
    });
  }
}

function earliest(a: StreamStart | undefined, b: StreamStart): StreamStart {
  if (a === undefined) return b;
  if (a === "first" || b === "first") return "first";
  if (a instanceof Date && b instanceof Date) return a < b ? a : b;
  return "first";
}
