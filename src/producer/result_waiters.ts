/**
 * Waiting for task outcomes that workers send back through RabbitMQ's direct reply-to: one
 * waiter per task enqueued with `{ result: true }`, resolved by the reply that names its id.
 *
 * Waiters are bounded in time: one that nobody awaits (a `{ result: true }` publish whose
 * `result()` is never called) is dropped `keepMs` after it was made (the default result
 * timeout, 60 s), replied or not; a later `result()` then reads the history, when there is one.
 * So a long-lived producer holds at most the waiters of the last `keepMs` of publishes.
 *
 * @module
 */
import type { Message } from "../deps/amqplib.ts";
import { ResultTimeoutError } from "../errors/result_timeout_error.ts";
import { withTimeout } from "../util/deadline.ts";
import { decodeOutcome, type TaskOutcome } from "../wire/outcome_codec.ts";

/** The reply of a task was addressed to a channel that is gone: look in the history. */
export class ReplyLostError extends Error {
  /** The task's id. */
  readonly id: string;

  /** The reply to task `id` was lost. */
  constructor(id: string) {
    super(
      `The outcome of task ${id} was to come back on a channel that has closed since (a lost connection): it can only be read from the history (producers and workers with history on)`,
    );
    this.name = "ReplyLostError";
    this.id = id;
  }
}

/** A waiter, and the timer that drops it unless it is awaited. */
interface Waiter {
  readonly outcome: PromiseWithResolvers<TaskOutcome>;
  expiry: ReturnType<typeof setTimeout> | undefined;
}

/** Outcomes awaited by task id. */
export class ResultWaiters {
  readonly #waiters = new Map<string, Waiter>();
  readonly #keepMs: number;

  /** Waiters that are dropped `keepMs` after they were made, unless awaited. */
  constructor(keepMs: number) {
    this.#keepMs = keepMs;
  }

  /** How many waiters are held. */
  get size(): number {
    return this.#waiters.size;
  }

  /** Whether the outcome of task `id` is awaited. */
  has(id: string): boolean {
    return this.#waiters.has(id);
  }

  /** Starts awaiting the outcome of task `id` (before it is published). */
  expect(id: string): void {
    if (this.#waiters.has(id)) return;
    const outcome = Promise.withResolvers<TaskOutcome>();
    outcome.promise.catch(() => {});
    const waiter: Waiter = { outcome, expiry: undefined };
    waiter.expiry = setTimeout(() => {
      if (this.#waiters.get(id) === waiter) this.#waiters.delete(id);
    }, this.#keepMs);
    Deno.unrefTimer(waiter.expiry as unknown as number);
    this.#waiters.set(id, waiter);
  }

  /**
   * Gives up the waiters of every task but those in `keep` (sent again on the new channel):
   * their replies were addressed to the channel that is gone, and they reject with
   * {@linkcode ReplyLostError}.
   */
  orphan(keep: ReadonlySet<string>): void {
    for (const [id, waiter] of this.#waiters) {
      if (!keep.has(id)) waiter.outcome.reject(new ReplyLostError(id));
    }
  }

  /** Takes a reply off the reply channel: resolves the waiter of the task it names. */
  onReply(reply: Message): void {
    const outcome = decodeOutcome(reply.content);
    const id: unknown = reply.properties.correlationId;
    if (outcome && typeof id === "string") this.#waiters.get(id)?.outcome.resolve(outcome);
  }

  /**
   * The outcome of task `id`, awaited with {@linkcode ResultWaiters.expect}; rejects with
   * {@linkcode ResultTimeoutError} after `timeoutMs`. Either way the waiter is then dropped.
   * `undefined` when there is no waiter (never made, or dropped after `keepMs`).
   */
  wait(id: string, timeoutMs: number): Promise<TaskOutcome> | undefined {
    const waiter = this.#waiters.get(id);
    if (!waiter) return undefined;
    clearTimeout(waiter.expiry);
    waiter.expiry = undefined;
    return withTimeout(
      waiter.outcome.promise,
      timeoutMs,
      () => new ResultTimeoutError(id, timeoutMs),
    )
      .finally(() => {
        if (this.#waiters.get(id) === waiter) this.#waiters.delete(id);
      });
  }

  /** Drops every waiter and its timer (the producer is closing). */
  clear(): void {
    for (const waiter of this.#waiters.values()) clearTimeout(waiter.expiry);
    this.#waiters.clear();
  }
}
