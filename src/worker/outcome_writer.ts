/**
 * Carrying out a delivery's disposition: the one place that publishes its copies (a retry
 * through the delay queues, a dead letter, a requeue), replies to the producer that asked for
 * the outcome, acknowledges the delivery, and emits its event. Every copy is confirmed by the
 * broker before the delivery is acked; a delivery whose session is no longer live is left to
 * the broker, which requeued it.
 *
 * @module
 */
import type { DelayLevels } from "../broker/delays.ts";
import type { QueueNames } from "../broker/topology.ts";
import type { ConsumeMessage } from "../deps/amqplib.ts";
import { copyProperties } from "../wire/copies.ts";
import type { DeadReason } from "../wire/dead_reasons.ts";
import { HEADERS } from "../wire/headers.ts";
import { encodeOutcome, type TaskOutcome } from "../wire/outcome_codec.ts";
import type { ConsumerSession } from "./consumer_session.ts";
import type { Disposition } from "./disposition.ts";
import type { TaskEvent } from "./events.ts";

/** A delivery being worked on. */
export interface Delivery {
  /** The message. */
  readonly message: ConsumeMessage;
  /** The session it came on. */
  readonly session: ConsumerSession;
  /** When it came (`performance.now()`). */
  readonly started: number;
  /** Fires when the worker gives the delivery up (closing, connection lost). */
  readonly cancel: AbortController;
}

/** What the delivery is, as far as its outcome goes. */
export interface Subject {
  /** The message id. */
  readonly id: string;
  /** The task's name, when the body named one. */
  readonly task: string | undefined;
  /** The handler's result in its wire form, for a `done` disposition. */
  readonly result?: unknown;
}

/** What the writer needs from its worker. */
export interface WriterOptions {
  /** The work queue's names. */
  readonly names: QueueNames;
  /** The worker's id, for the headers of its copies. */
  readonly workerId: string;
  /** The delay levels, where retries wait. */
  readonly delays: DelayLevels;
  /** Reports a task event. */
  readonly emit: (event: TaskEvent) => void;
  /** Whether acks should go out at once (nothing else is running). */
  readonly ackNow: () => boolean;
}

/** Milliseconds since `start`, to 0.01 ms. */
const since = (start: number): number => Math.round((performance.now() - start) * 100) / 100;

/** Where the delivery asks for its outcome to go (`reply_to`), if it does. */
function replyAddress(message: ConsumeMessage): string | undefined {
  const replyTo: unknown = message.properties.replyTo;
  return typeof replyTo === "string" && replyTo !== "" ? replyTo : undefined;
}

/** Carries out dispositions; see the module documentation. */
export class OutcomeWriter {
  readonly #options: WriterOptions;

  /** A writer for one worker. */
  constructor(options: WriterOptions) {
    this.#options = options;
  }

  /** Carries out `disposition` (any but `run`) for `delivery`. */
  async write(
    delivery: Delivery,
    subject: Subject,
    disposition: Exclude<Disposition, { kind: "run" }>,
  ): Promise<void> {
    switch (disposition.kind) {
      case "done":
        return await this.#done(delivery, subject, disposition.attempt);
      case "retry":
        return await this.#retry(delivery, subject, disposition);
      case "dead":
        return await this.#dead(delivery, subject, disposition);
      case "requeue":
        return await this.#requeue(delivery, subject, disposition);
    }
  }

  /** Reports a delivery that the broker requeues because its session is gone. */
  returned(subject: Subject): void {
    this.#options.emit({
      event: "task.returned",
      id: subject.id,
      reason: "the connection was lost before its outcome was settled; the broker requeues it",
      ...(subject.task === undefined ? {} : { task: subject.task }),
    });
  }

  async #done(delivery: Delivery, subject: Subject, attempt: number): Promise<void> {
    const { id, task = "" } = subject;
    // Reported before the ack: a worker killed in between leaves a duplicate, never a task
    // that was acknowledged without a trace.
    const ms = since(delivery.started);
    this.#options.emit({ event: "task.done", task, id, attempt, ms, result: subject.result });
    if (replyAddress(delivery.message) !== undefined) {
      await this.#reply(delivery, { id, task, ok: true, result: subject.result });
    }
    // Done is done: should the session be gone by now, the broker redelivers it (a duplicate).
    this.#ack(delivery);
  }

  async #retry(
    delivery: Delivery,
    subject: Subject,
    retry: Extract<Disposition, { kind: "retry" }>,
  ): Promise<void> {
    const { session, message } = delivery;
    if (!session.live) return this.returned(subject);
    const route = await this.#options.delays.route(session.link, retry.delay);
    const properties = copyProperties(message, subject.id, {
      ...this.#failureHeaders(message, retry.error),
      [HEADERS.attempts]: retry.attempt,
      [HEADERS.redeliveries]: 0,
    });
    await session.publishVia(route.exchange, route.routingKey, message.content, properties);
    if (!this.#ack(delivery)) return this.returned(subject);
    this.#options.emit({
      event: "task.failed",
      task: subject.task ?? "",
      id: subject.id,
      attempt: retry.attempt,
      ms: since(delivery.started),
      error: retry.error,
      retryIn: retry.delay,
    });
  }

  async #dead(
    delivery: Delivery,
    subject: Subject,
    dead: { readonly reason: DeadReason; readonly error: string; readonly attempts?: number },
  ): Promise<void> {
    const { session, message } = delivery;
    if (!session.live) return this.returned(subject);
    const properties = copyProperties(message, subject.id, {
      ...this.#failureHeaders(message, dead.error),
      [HEADERS.reason]: dead.reason,
      ...(dead.attempts === undefined ? {} : { [HEADERS.attempts]: dead.attempts }),
    });
    await session.publish(this.#options.names.dead, message.content, properties);
    const task = subject.task === undefined ? {} : { task: subject.task };
    await this.#reply(delivery, {
      id: subject.id,
      ok: false,
      reason: dead.reason,
      error: dead.error,
      ...task,
    });
    this.#options.emit({
      event: "task.dead",
      ...task,
      id: subject.id,
      ...(dead.attempts === undefined ? {} : { attempt: dead.attempts }),
      ms: since(delivery.started),
      error: dead.error,
      reason: dead.reason,
    });
    this.#ack(delivery);
  }

  /** Puts a copy back at the end of the work queue (confirmed), then acks the delivery. */
  async #requeue(
    delivery: Delivery,
    subject: Subject,
    requeue: { readonly reason: string; readonly headers: Readonly<Record<string, unknown>> },
  ): Promise<void> {
    const { session, message } = delivery;
    if (!session.live) return this.returned(subject);
    const properties = copyProperties(message, subject.id, { ...requeue.headers });
    await session.publish(this.#options.names.main, message.content, properties);
    if (!this.#ack(delivery)) return this.returned(subject);
    this.#options.emit({
      event: "task.returned",
      ...(subject.task === undefined ? {} : { task: subject.task }),
      id: subject.id,
      reason: requeue.reason,
    });
  }

  /**
   * Sends the outcome to the producer that asked for it (the `reply_to` property: RabbitMQ's
   * direct reply-to), confirmed, before the delivery is acked. Costs nothing without `reply_to`.
   */
  async #reply(delivery: Delivery, outcome: TaskOutcome): Promise<void> {
    const replyTo = replyAddress(delivery.message);
    if (replyTo === undefined || !delivery.session.live) return;
    await delivery.session.publish(replyTo, encodeOutcome(outcome), {
      correlationId: outcome.id,
      contentType: "application/json",
    });
  }

  #failureHeaders(message: ConsumeMessage, error: string): Record<string, unknown> {
    const now = new Date().toISOString();
    const first: unknown = message.properties.headers?.[HEADERS.firstFailure];
    return {
      [HEADERS.error]: error,
      [HEADERS.firstFailure]: typeof first === "string" ? first : now,
      [HEADERS.lastFailure]: now,
      [HEADERS.worker]: this.#options.workerId,
      [HEADERS.queue]: this.#options.names.main,
    };
  }

  #ack(delivery: Delivery): boolean {
    return delivery.session.ack(delivery.message, this.#options.ackNow());
  }
}
