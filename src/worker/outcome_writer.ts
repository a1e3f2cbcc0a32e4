/**
 * Carrying out settlements: the one executor of every {@linkcode SettlementPlan}, in one order
 * whatever its kind.
 *
 * 1. Every publish of the plan at once, through the session's `ConfirmedPublisher`: the copy
 *    (retry, dead letter or requeue), the history event, the reply. The copy must be confirmed;
 *    the event and the reply are written as well as they can be (a refusal is logged as
 *    `history.unwritten` or `reply.unsent` and holds nothing back).
 * 2. The ack (queued; the session sends it after the log line).
 * 3. The log event, reported to the logger and the listeners.
 *
 * When the copy is not confirmed, the delivery still ends, and without a reconnect:
 *
 * | why                                     | then                                                |
 * | --------------------------------------- | --------------------------------------------------- |
 * | the session is gone (channel closed)    | nothing: the broker requeues it (`task.returned`)   |
 * | too large or not encodable              | the plan's minimal dead letter, then the ack        |
 * | nacked, unroutable: transient, maybe    | back to the queue (a nack with requeue), up to      |
 * |                                         | {@linkcode MAX_SETTLE_FAILURES} times per id; then  |
 * |                                         | the minimal dead letter                             |
 * | the minimal dead letter refused too     | rejected without requeue (`task.discarded`, error): |
 * |                                         | a quorum queue dead-letters it to `Q.dead` itself   |
 *
 * The refusals are counted per message id (lost channels too); a delivery refused more than
 * {@linkcode MAX_SETTLE_FAILURES} times goes straight to its minimal dead letter.
 *
 * @module
 */
import type { DelayLevels } from "../broker/delays.ts";
import type { PublishRoute } from "../broker/confirmed_publisher.ts";
import type { QueueNames } from "../broker/topology.ts";
import type { ConsumeMessage } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import { PublishError } from "../errors/publish_error.ts";
import type { Logger } from "../util/logger.ts";
import { EventWriter } from "../history/event_writer.ts";
import type { NewHistoryEvent } from "../wire/events.ts";
import type { CancelRequest } from "../wire/control.ts";
import type { StepRead } from "../wire/workflow.ts";
import { messageId } from "../wire/task_codec.ts";
import type { ConsumerSession } from "./consumer_session.ts";
import type { Disposition } from "./disposition.ts";
import type { TaskEvent } from "./events.ts";
import type { Continuation } from "../workflow/continuation.ts";
import {
  type PlannedCopy,
  planSettlement,
  type SettlementPlan,
  type Subject,
} from "./settlement.ts";

export type { Subject };

/**
 * Times a delivery's copy may be refused (nacked, unroutable) and the delivery put back in its
 * queue, per message id and worker, before the worker dead-letters it minimally instead.
 */
export const MAX_SETTLE_FAILURES = 3;

/** How many message ids the count of refused settlements remembers (the oldest go first). */
const FAILURES_REMEMBERED = 1_000;

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
  /** Its workflow header, once read: the step it is, if any (read once, when first needed). */
  step?: StepRead;
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
  /** Where the writer's own troubles are logged. */
  readonly log: Logger;
  /**
   * What follows a delivery's outcome when it is a workflow's step (published, confirmed, with
   * the copy, before the ack); `undefined` for anything else.
   */
  readonly follow?: (
    delivery: Delivery,
    subject: Subject,
    disposition: Exclude<Disposition, { kind: "run" }>,
  ) => Continuation | undefined;
}

/** Milliseconds since `start`, to 0.01 ms. */
const since = (start: number): number => Math.round((performance.now() - start) * 100) / 100;

/** Carries out settlements; see the module documentation. */
export class OutcomeWriter {
  readonly #options: WriterOptions;
  /** Refused settlements by message id, oldest first. */
  readonly #failures = new Map<string, number>();
  /** The history's batches of each session. */
  readonly #events = new WeakMap<ConsumerSession, EventWriter>();

  /** A writer for one worker. */
  constructor(options: WriterOptions) {
    this.#options = options;
  }

  /** Plans and carries out `disposition` (any but `run`) for `delivery`. Never rejects. */
  async write(
    delivery: Delivery,
    subject: Subject,
    disposition: Exclude<Disposition, { kind: "run" }>,
  ): Promise<void> {
    const { names, workerId, history } = this.#options;
    const plan = planSettlement(delivery.message, subject, disposition, {
      names,
      workerId,
      history,
      now: Date.now(),
      ms: since(delivery.started),
    });
    await this.execute(
      delivery,
      subject,
      plan,
      this.#options.follow?.(delivery, subject, disposition),
    );
  }

  /**
   * Carries out `plan` for `delivery`, in the order of the module documentation, with what
   * follows it in its workflow (`next`: confirmed like the copy). Never rejects.
   */
  async execute(
    delivery: Delivery,
    subject: Subject,
    plan: SettlementPlan,
    next?: Continuation,
  ): Promise<void> {
    const { session } = delivery;
    if (!session.live) return this.returned(subject);
    // A delivery whose copy failed too often before goes straight to its minimal dead letter:
    // whatever made its copy fail (even a channel the broker closed over it) ends here.
    const degraded = plan.fallback !== undefined &&
      (this.#failures.get(subject.id) ?? 0) > MAX_SETTLE_FAILURES;
    const copy = degraded ? plan.fallback!.copy : plan.copy;
    const [copied, , , followed] = await Promise.all([
      copy ? this.#publishCopy(session, copy) : undefined,
      plan.event ? this.#publishEvent(delivery, plan.event) : undefined,
      plan.reply ? this.#publishReply(delivery, plan.reply) : undefined,
      next ? this.#publishNext(delivery, next) : undefined,
    ]);
    const failure = copied ?? followed;
    if (failure === undefined) {
      return this.#settle(delivery, degraded ? plan.fallback!.log : plan.log);
    }
    if (degraded) return this.#discard(delivery, subject, failure);
    await this.#copyRefused(delivery, subject, plan, failure);
  }

  /**
   * Writes `event` to the history on the delivery's session, in a batch with the other events
   * of the same turn (confirmed); resolves at once when the history is off or the session
   * gone. Rejects with the publish's error, or the encoding's: it never throws, so that a caller
   * that only catches the promise cannot leave its delivery unsettled. A `lazy` event (a start)
   * waits a few milliseconds for company: a task that ends by then has its start and its outcome
   * in one message. With `now` (nothing else runs), the batch goes at once rather than at the end
   * of the turn.
   */
  record(
    delivery: Delivery,
    event: NewHistoryEvent,
    options: { readonly lazy?: boolean; readonly now?: boolean } = {},
  ): Promise<void> {
    const { session } = delivery;
    if (!this.#options.history || !session.live) return Promise.resolve();
    let writer = this.#events.get(session);
    if (!writer) {
      const events = this.#options.names.events;
      writer = new EventWriter((body, properties) => session.publish(events, body, properties));
      this.#events.set(session, writer);
    }
    try {
      return writer.write(event, options);
    } catch (err) {
      return Promise.reject(err);
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

  /** Publishes a copy; resolves with the failure, if any (never rejects). */
  async #publishCopy(
    session: ConsumerSession,
    copy: PlannedCopy,
  ): Promise<PublishError | undefined> {
    try {
      let route: PublishRoute;
      if ("queue" in copy.to) route = { exchange: "", routingKey: copy.to.queue };
      else route = await this.#options.delays.route(session.link, copy.to.delay);
      await session.publish(route, copy.body, copy.properties);
      return undefined;
    } catch (err) {
      return err instanceof PublishError
        ? err
        : new PublishError("closed", String(copy.properties.messageId ?? ""), describeError(err), {
          cause: err,
        });
    }
  }

  /** Publishes what follows a workflow's step; resolves with the failure, if any. */
  async #publishNext(delivery: Delivery, next: Continuation): Promise<PublishError | undefined> {
    const { session } = delivery;
    try {
      await Promise.all([
        ...next.publish.map((m) => session.publish(m.queue, m.body, m.properties)),
        ...(next.end ? [this.record(delivery, next.end, { now: true })] : []),
      ]);
      return undefined;
    } catch (err) {
      return err instanceof PublishError
        ? err
        : new PublishError("closed", messageId(delivery.message), describeError(err), {
          cause: err,
        });
    }
  }

  async #publishEvent(delivery: Delivery, event: NewHistoryEvent): Promise<undefined> {
    try {
      await this.record(delivery, event, { now: this.#options.ackNow() });
    } catch (err) {
      this.#options.log.warn("history.unwritten", {
        id: event.id,
        event: event.event,
        error: describeError(err),
      });
    }
    return undefined;
  }

  async #publishReply(
    delivery: Delivery,
    reply: NonNullable<SettlementPlan["reply"]>,
  ): Promise<undefined> {
    try {
      await delivery.session.publish(reply.to, reply.body, reply.properties);
    } catch (err) {
      this.#options.log.warn("reply.unsent", {
        id: reply.properties.correlationId,
        error: describeError(err),
        detail: "the producer that asked for the outcome can read it from the history",
      });
    }
    return undefined;
  }

  /** Step 2 and 3: the ack (queued), the log event, then the acks go out. */
  #settle(delivery: Delivery, log: TaskEvent): void {
    const { session, message } = delivery;
    // Alone in flight, the ack goes out in this turn, after the log line: nothing is scheduled
    // (a turn's end waited for would wake the process once more a task).
    const now = this.#options.ackNow();
    if (!session.ack(message, now ? "held" : false)) {
      this.returned({ id: log.id, task: "task" in log ? log.task : undefined });
      return;
    }
    this.#forget(log.id);
    this.#options.emit(log);
    if (now) session.flush();
  }

  async #copyRefused(
    delivery: Delivery,
    subject: Subject,
    plan: SettlementPlan,
    failure: PublishError,
  ): Promise<void> {
    const { session, message } = delivery;
    const log = this.#options.log;
    if (failure.reason === "closed" || !session.live) {
      this.#count(subject.id); // a copy that closes its channel each time ends too
      return this.returned(subject);
    }
    const what = plan.copy?.what ?? "copy";
    const transient = failure.reason !== "too-large" && failure.reason !== "invalid";
    if (transient) {
      const failures = this.#count(subject.id);
      if (failures <= MAX_SETTLE_FAILURES) {
        log.warn("task.unsettled", {
          id: subject.id,
          error: `its ${what} was refused: ${describeError(failure)}`,
          detail: `back to the queue (${failures} of ${MAX_SETTLE_FAILURES})`,
        });
        session.reject(message, true);
        return;
      }
    }
    const fallback = plan.fallback;
    log.warn("task.unsettled", {
      id: subject.id,
      error: `its ${what} was refused: ${describeError(failure)}`,
      detail: fallback ? "dead-lettering it with minimal headers" : "rejecting it",
    });
    const second = fallback ? await this.#publishCopy(session, fallback.copy) : failure;
    if (second === undefined) return this.#settle(delivery, fallback!.log);
    this.#discard(delivery, subject, second);
  }

  /** Rejects a delivery without requeue: even its minimal dead letter was refused. */
  #discard(delivery: Delivery, subject: Subject, second: PublishError): void {
    const { session, message } = delivery;
    if (second.reason === "closed" || !session.live) return this.returned(subject);
    this.#forget(subject.id);
    const log = this.#options.log;
    log.error("task.discarded", {
      id: subject.id,
      ...(subject.task === undefined ? {} : { task: subject.task }),
      error: describeError(second),
      detail:
        "its minimal dead letter was refused too: rejected without requeue (a quorum work queue dead-letters it to its dead-letter queue; a classic one drops it)",
    });
    session.reject(message, false);
  }

  /** Counts one more refused settlement of `id`; returns the count. */
  #count(id: string): number {
    const count = (this.#failures.get(id) ?? 0) + 1;
    this.#failures.delete(id);
    this.#failures.set(id, count);
    if (this.#failures.size > FAILURES_REMEMBERED) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
    return count;
  }

  #forget(id: string): void {
    this.#failures.delete(id);
  }
}
