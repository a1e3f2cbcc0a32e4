/**
 * Carrying out a delivery's disposition: the one place that publishes its copies (a retry
 * through the delay queues, a dead letter, a requeue), replies to the producer that asked for
 * the outcome, writes its history event, acknowledges the delivery, and emits its event. Every
 * copy and history event is confirmed by the broker before the delivery is acked; a delivery
 * whose session is no longer live is left to the broker, which requeued it.
 *
 * @module
 */
import type { DelayLevels } from "../broker/delays.ts";
import type { QueueNames } from "../broker/topology.ts";
import type { ConsumeMessage } from "../deps/amqplib.ts";
import { copyProperties } from "../wire/copies.ts";
import type { DeadReason } from "../wire/dead_reasons.ts";
import { HEADERS } from "../wire/headers.ts";
import { encodeEvent, type NewHistoryEvent } from "../wire/events.ts";
import { encodeOutcome, type TaskOutcome } from "../wire/outcome_codec.ts";
import type { CancelRequest } from "../wire/control.ts";
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
  /** Fires when the worker gives the delivery up (closing, connection lost, cancelled). */
  readonly cancel: AbortController;
  /** The cancel request that fired `cancel` while the task ran. */
  cancelled?: CancelRequest;
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
  /** Whether each outcome is written to the history (`Q.events`). */
  readonly history: boolean;
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
      case "drop":
        return await this.#drop(delivery, subject, disposition);
    }
  }

  /**
   * Writes `event` to the history on the delivery's session (confirmed); resolves at once when
   * the history is off. Outcomes are written before the delivery is acked.
   */
  record(delivery: Delivery, event: NewHistoryEvent): Promise<void> {
    if (!this.#options.history || !delivery.session.live) return Promise.resolve();
    const { body, properties } = encodeEvent(event);
    return delivery.session.publish(this.#options.names.events, body, properties);
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
    const { workerId: worker } = this.#options;
    const result = subject.result === undefined ? {} : { result: subject.result };
    await Promise.all([
      this.record(delivery, { event: "succeeded", id, task, worker, attempt, ms, ...result }),
      replyAddress(delivery.message) === undefined
        ? undefined
        : this.#reply(delivery, { id, task, ok: true, result: subject.result }),
    ]);
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
    const next = new Date(Date.now() + retry.delay).toISOString();
    await Promise.all([
      session.publishVia(route.exchange, route.routingKey, message.content, properties),
      this.record(delivery, {
        event: "retried",
        ...this.#about(subject),
        attempt: retry.attempt,
        error: retry.error,
        next,
      }),
    ]);
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
    dead: {
      readonly reason: DeadReason;
      readonly error: string;
      readonly attempts?: number;
      readonly stage?: "queued" | "running";
    },
  ): Promise<void> {
    const { session, message } = delivery;
    if (!session.live) return this.returned(subject);
    const properties = copyProperties(message, subject.id, {
      ...this.#failureHeaders(message, dead.error),
      [HEADERS.reason]: dead.reason,
      ...(dead.attempts === undefined ? {} : { [HEADERS.attempts]: dead.attempts }),
    });
    await session.publish(this.#options.names.dead, message.content, properties);
    const task = this.#taskOf(subject);
    await Promise.all([
      this.record(delivery, this.#deadEvent(subject, dead)),
      this.#reply(delivery, {
        id: subject.id,
        ok: false,
        reason: dead.reason,
        error: dead.error,
        ...task,
      }),
    ]);
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
    await Promise.all([
      session.publish(this.#options.names.main, message.content, properties),
      this.record(delivery, {
        event: "returned",
        ...this.#about(subject),
        reason: requeue.reason,
      }),
    ]);
    if (!this.#ack(delivery)) return this.returned(subject);
    this.#options.emit({
      event: "task.returned",
      ...(subject.task === undefined ? {} : { task: subject.task }),
      id: subject.id,
      reason: requeue.reason,
    });
  }

  /** Acks a cancelled task and copies it nowhere: the request said to drop it. */
  async #drop(
    delivery: Delivery,
    subject: Subject,
    drop: { readonly error: string; readonly stage: "queued" | "running" },
  ): Promise<void> {
    if (!delivery.session.live) return this.returned(subject);
    await this.record(delivery, {
      event: "cancelled",
      ...this.#about(subject),
      stage: drop.stage,
      dropped: true,
    });
    if (!this.#ack(delivery)) return this.returned(subject);
    this.#options.emit({
      event: "task.dead",
      ...this.#taskOf(subject),
      id: subject.id,
      ms: since(delivery.started),
      error: `${drop.error} (dropped: no dead letter)`,
      reason: "cancelled",
    });
  }

  /** The history event of a dead letter: `expired`, `cancelled`, or `dead`. */
  #deadEvent(
    subject: Subject,
    dead: {
      readonly reason: DeadReason;
      readonly error: string;
      readonly attempts?: number;
      readonly stage?: "queued" | "running";
    },
  ): NewHistoryEvent {
    const base = this.#about(subject);
    if (dead.reason === "expired") return { event: "expired", ...base, error: dead.error };
    if (dead.reason === "cancelled") {
      return { event: "cancelled", ...base, stage: dead.stage ?? "queued" };
    }
    return {
      event: "dead",
      ...base,
      reason: dead.reason,
      error: dead.error,
      ...(dead.attempts === undefined ? {} : { attempts: dead.attempts }),
    };
  }

  #taskOf(subject: Subject): { task?: string } {
    return subject.task === undefined ? {} : { task: subject.task };
  }

  /** What every history event of this worker about `subject` says: id, task, worker. */
  #about(subject: Subject): { id: string; task?: string; worker: string } {
    return { id: subject.id, ...this.#taskOf(subject), worker: this.#options.workerId };
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
