/**
 * Waiting for task outcomes that workers send back through RabbitMQ's direct reply-to: one
 * waiter per task enqueued with `{ result: true }`, resolved by the reply that names its id.
 *
 * @module
 */
import type { Message } from "../deps/amqplib.ts";
import { ResultTimeoutError } from "../errors/result_timeout_error.ts";
import { withTimeout } from "../util/deadline.ts";
import { decodeOutcome, type TaskOutcome } from "../wire/outcome_codec.ts";

/** Outcomes awaited by task id. */
export class ResultWaiters {
  readonly #waiters = new Map<string, PromiseWithResolvers<TaskOutcome>>();

  /** Whether the outcome of task `id` is awaited. */
  has(id: string): boolean {
    return this.#waiters.has(id);
  }

  /** Starts awaiting the outcome of task `id` (before it is published). */
  expect(id: string): void {
    if (this.#waiters.has(id)) return;
    const waiter = Promise.withResolvers<TaskOutcome>();
    waiter.promise.catch(() => {});
    this.#waiters.set(id, waiter);
  }

  /** Takes a reply off the reply channel: resolves the waiter of the task it names. */
  onReply(reply: Message): void {
    const outcome = decodeOutcome(reply.content);
    const id: unknown = reply.properties.correlationId;
    if (outcome && typeof id === "string") this.#waiters.get(id)?.resolve(outcome);
  }

  /**
   * The outcome of task `id`, awaited with {@linkcode ResultWaiters.expect}; rejects with
   * {@linkcode ResultTimeoutError} after `timeoutMs`. Either way the waiter is then dropped.
   */
  wait(id: string, timeoutMs: number): Promise<TaskOutcome> | undefined {
    const waiter = this.#waiters.get(id);
    if (!waiter) return undefined;
    return withTimeout(waiter.promise, timeoutMs, () => new ResultTimeoutError(id, timeoutMs))
      .finally(() => this.#waiters.delete(id));
  }
}
