/**
 * The worker: consumes a work queue with manual acknowledgement and a prefetch limit, runs each
 * task's handler, and ends every delivery in exactly one outcome:
 *
 * | what happened                          | outcome                                            |
 * | -------------------------------------- | -------------------------------------------------- |
 * | handler resolved                       | ack                                                |
 * | handler threw or timed out, tries left | copy to a delay queue, confirmed, then ack         |
 * | tries used up, or NonRetryableError    | copy to the dead-letter queue, confirmed, then ack |
 * | body cannot be run (not JSON, …)       | dead-letter at once with the reason                |
 * | redelivered after a worker died        | counted; over the limit, dead-lettered             |
 * | worker stopping, grace period over     | copy back to the work queue, confirmed, then ack   |
 * | connection lost                        | nothing to do: the broker requeues it              |
 *
 * @module
 */
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from "amqplib";
import type { Buffer } from "node:buffer";
import { ackInOrder } from "./acks.ts";
import { runAttempt } from "./attempt.ts";
import { type BackoffOptions, resolveBackoff } from "./backoff.ts";
import type { Catalog } from "./catalog.ts";
import {
  countHeader,
  type DeadReason,
  decodeTask,
  DELIVERY_COUNT_HEADER,
  encodeOutcome,
  HEADERS,
  type TaskOutcome,
} from "./codec.ts";
import { BrokerConnection } from "./connection.ts";
import { copyProperties } from "./copies.ts";
import { ConfigError, describeError } from "./errors.ts";
import { logTaskEvent, type TaskEvent } from "./events.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { setImmediate } from "node:timers";
import { publishConfirmed } from "./publish.ts";
import { decideFailure, type RetryOverrides } from "./retry_policy.ts";
import {
  deadQueueOptions,
  declareQueues,
  DEFAULT_QUEUE,
  mainQueueOptions,
  type QueueNames,
  queueNames,
  type QueueType,
  retryQueueOptions,
} from "./topology.ts";
import { ThreadPool } from "./threads/pool.ts";
import { settlesWithin } from "./deadline.ts";
import { DEFAULT_URL } from "./urls.ts";

/** Options of {@linkcode Worker.start}. */
export interface WorkerOptions {
  /**
   * Broker URL, or several tried in turn.
   * @default {"amqp://localhost:5672"}
   */
  url?: string | readonly string[];
  /**
   * The work queue.
   * @default {"task_queue"}
   */
  queue?: string;
  /**
   * Type of the queues Warren declares.
   * @default {"classic"}
   */
  queueType?: QueueType;
  /**
   * Most tasks delivered to this worker and not yet acknowledged; it also bounds how many
   * handlers run at once. 1 is fair dispatch: each worker takes one task at a time.
   * @default {1}
   */
  prefetch?: number;
  /**
   * Where task outcomes and connection events are logged.
   * @default {null (nothing is logged)}
   */
  logger?: Logger | null;
  /**
   * The worker's id, written in the headers of the dead letters it makes.
   * @default {"<hostname>-<pid>" (or "worker-<pid>" without permission to read the hostname)}
   */
  id?: string;
  /**
   * Largest message body accepted, in bytes; a larger one is dead-lettered unread.
   * @default {4194304}
   */
  maxMessageBytes?: number;
  /**
   * How long {@linkcode Worker.stop} lets running tasks finish before it returns them to the
   * queue, in milliseconds.
   * @default {30000}
   */
  grace?: number;
  /**
   * Retries after a failed attempt, for every task (overrides each task's `retries`).
   * @default {each task's own}
   */
  retries?: number;
  /**
   * Delays between attempts, for every task (overrides each task's `backoff`).
   * @default {each task's own}
   */
  backoff?: BackoffOptions;
  /**
   * How many times the workers running a task may die (their deliveries come back redelivered)
   * before the task is dead-lettered instead of run again: with 5, it runs at most 5 times.
   * @default {5}
   */
  maxRedeliveries?: number;
  /**
   * The broker's `consumer_timeout` in milliseconds; the worker refuses to start when a task's
   * time limit is not below it.
   * @default {1800000}
   */
  consumerTimeout?: number;
  /**
   * Heartbeat interval in seconds.
   * @default {15}
   */
  heartbeat?: number;
  /**
   * Run the handlers of tasks marked `cpu` in this many threads (Web Workers), each loading the
   * catalog from `module` (its export `exportName`, default `catalog`). Needs read permission
   * for the module and Warren's sources. Use a `prefetch` of at least `size` to keep them busy.
   * @default {none: every handler runs on the main thread}
   */
  threads?: { size: number; module: string | URL; exportName?: string };
  /**
   * Hears every task event from the first delivery on (see also {@linkcode Worker.on}).
   * @default {none}
   */
  onEvent?: (event: TaskEvent) => void;
}

interface SessionState {
  readonly model: ChannelModel;
  readonly consume: Channel;
  readonly publish: ConfirmChannel;
  readonly retryQueues: Set<string>;
  /** Delivery tags handed to this worker and not yet acked, in the order they came. */
  readonly unacked: number[];
  consumerTag: string | undefined;
  open: boolean;
}

interface Delivery {
  readonly message: ConsumeMessage;
  readonly session: SessionState;
  readonly started: number;
  readonly cancel: AbortController;
}

/** Default of {@linkcode WorkerOptions.maxMessageBytes}: 4 MiB. */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
/** Default of {@linkcode WorkerOptions.consumerTimeout}: RabbitMQ's, 30 minutes. */
export const DEFAULT_CONSUMER_TIMEOUT = 1_800_000;
/** Default of {@linkcode WorkerOptions.grace}: 30 seconds. */
export const DEFAULT_GRACE_MS = 30_000;
/** Default of {@linkcode WorkerOptions.maxRedeliveries}. */
export const DEFAULT_MAX_REDELIVERIES = 5;

function defaultWorkerId(): string {
  const readable = Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state ===
    "granted";
  return `${readable ? Deno.hostname() : "worker"}-${Deno.pid}`;
}

function positiveInteger(value: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigError(
      `Cannot start worker as '${name}' must be an integer from 1 to ${max}: current value is ${value}`,
    );
  }
  return value;
}

const since = (start: number): number => Math.round((performance.now() - start) * 100) / 100;

/**
 * Consumes a work queue and runs the tasks of a catalog. Start one with {@linkcode Worker.start};
 * stop it with {@linkcode Worker.stop}.
 *
 * @example Run tasks until told to stop
 * ```ts ignore
 * import { catalog } from "../tasks/mod.ts";
 * import { Worker } from "./worker.ts";
 *
 * const worker = await Worker.start(catalog, { queue: "task_queue", prefetch: 1 });
 * Deno.addSignalListener("SIGTERM", () => worker.stop());
 * await worker.done;
 * ```
 */
export class Worker<C extends Catalog> {
  readonly #catalog: C;
  readonly #names: QueueNames;
  readonly #type: QueueType;
  readonly #prefetch: number;
  readonly #log: Logger;
  readonly #id: string;
  readonly #maxBytes: number;
  readonly #grace: number;
  readonly #overrides: RetryOverrides;
  readonly #maxRedeliveries: number;
  readonly #inFlight = new Set<Delivery>();
  readonly #listeners = new Set<(event: TaskEvent) => void>();
  readonly #done = Promise.withResolvers<void>();
  #idle: PromiseWithResolvers<void> | undefined;
  #connection: BrokerConnection | undefined;
  #pool: ThreadPool | undefined;
  #acks: Delivery[] = [];
  #flushScheduled = false;
  #session: SessionState | undefined;
  #generation = 0;
  #stopping: Promise<void> | undefined;

  private constructor(catalog: C, options: WorkerOptions) {
    this.#catalog = catalog;
    this.#names = queueNames(options.queue ?? DEFAULT_QUEUE);
    this.#type = options.queueType ?? "classic";
    this.#prefetch = positiveInteger(options.prefetch ?? 1, "prefetch", 65_535);
    this.#log = options.logger ?? silentLogger;
    this.#id = options.id ?? defaultWorkerId();
    this.#maxBytes = positiveInteger(
      options.maxMessageBytes ?? DEFAULT_MAX_BYTES,
      "maxMessageBytes",
    );
    this.#grace = options.grace ?? DEFAULT_GRACE_MS;
    if (!(this.#grace >= 0)) {
      throw new ConfigError(
        `Cannot start worker as 'grace' must be zero or more milliseconds: current value is ${this.#grace}`,
      );
    }
    this.#maxRedeliveries = positiveInteger(
      options.maxRedeliveries ?? DEFAULT_MAX_REDELIVERIES,
      "maxRedeliveries",
    );
    const overrides: { retries?: number; backoff?: Readonly<Required<BackoffOptions>> } = {};
    if (options.retries !== undefined) {
      if (!Number.isInteger(options.retries) || options.retries < 0) {
        throw new ConfigError(
          `Cannot start worker as 'retries' must be a non-negative integer: current value is ${options.retries}`,
        );
      }
      overrides.retries = options.retries;
    }
    if (options.backoff) overrides.backoff = resolveBackoff(options.backoff, "worker");
    this.#overrides = overrides;
    checkTimeouts(catalog, options.consumerTimeout ?? DEFAULT_CONSUMER_TIMEOUT);
    this.#done.promise.catch(() => {});
    if (options.onEvent) this.#listeners.add(options.onEvent);
  }

  /** Connects, declares the queues and starts consuming. */
  static async start<C extends Catalog>(
    catalog: C,
    options: WorkerOptions = {},
  ): Promise<Worker<C>> {
    const worker = new Worker(catalog, options);
    if (options.threads) {
      worker.#pool = await ThreadPool.start({ ...options.threads, logger: worker.#log });
    }
    const urls = typeof options.url === "string" ? [options.url] : options.url ?? [DEFAULT_URL];
    const connectionOptions = {
      urls,
      name: `warren worker ${worker.#id}`,
      logger: worker.#log,
      ...(options.heartbeat === undefined ? {} : { heartbeat: options.heartbeat }),
    };
    try {
      worker.#connection = await BrokerConnection.open(
        connectionOptions,
        (model, generation) => worker.#setup(model, generation),
      );
    } catch (err) {
      worker.#pool?.close();
      throw err;
    }
    worker.#connection.onLost((err) => worker.#onLost(err));
    worker.#connection.onFailed((err) => {
      worker.#pool?.close();
      worker.#done.reject(err);
    });
    return worker;
  }

  /** The worker's id. */
  get id(): string {
    return this.#id;
  }

  /** How many deliveries are being worked on. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Whether the worker is connected and consuming (what a health check asks). */
  get consuming(): boolean {
    const session = this.#session;
    return session !== undefined && session.open && session.consumerTag !== undefined &&
      this.#stopping === undefined;
  }

  /** How many times the worker connected again after losing its connection. */
  get reconnects(): number {
    return Math.max(0, this.#generation - 1);
  }

  /** Resolves when the worker has stopped; rejects if its connection failed for good. */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** Calls `listener` with each task event; returns a function that removes it. */
  on(listener: (event: TaskEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Stops taking tasks, lets running ones finish within the grace period, returns the rest to the
   * queue, and closes the connection.
   */
  stop(grace: number = this.#grace): Promise<void> {
    this.#stopping ??= this.#shutdown(grace);
    return this.#stopping;
  }

  async #shutdown(grace: number): Promise<void> {
    this.#log.info("worker.stopping", { worker: this.#id, inFlight: this.#inFlight.size, grace });
    // Every wait on the broker is bounded: a blocked connection (memory or disk alarm) never
    // answers, and a SIGTERM must still end the worker within its grace period.
    const graceEnds = Date.now() + grace;
    const session = this.#session;
    if (session?.open && session.consumerTag) {
      await settlesWithin(session.consume.cancel(session.consumerTag), graceEnds - Date.now());
    }
    await settlesWithin(this.#whenIdle(), graceEnds - Date.now());
    for (const delivery of this.#inFlight) {
      delivery.cancel.abort(new Error("the worker is stopping and its grace period is over"));
    }
    // Aborted tasks end at once; their copies back to the queue still need the broker's confirm.
    const settled = await settlesWithin(this.#whenIdle(), SETTLE_TIMEOUT_MS);
    this.#flushAcks();
    const last = this.#session;
    if (last?.open && settled) {
      // Channels first: amqplib may send the connection's close ahead of acks still queued on a
      // channel, and the broker would then redeliver tasks that are done.
      last.open = false;
      await settlesWithin(last.consume.close(), SETTLE_TIMEOUT_MS);
      await settlesWithin(last.publish.close(), SETTLE_TIMEOUT_MS);
    }
    if (last) last.open = false; // from here on nothing is acked: the broker requeues the rest
    if (!settled) {
      this.#log.warn("worker.unsettled", {
        worker: this.#id,
        inFlight: this.#inFlight.size,
        detail:
          "the broker did not confirm their outcome in time; closing the connection returns them to the queue",
      });
    }
    await this.#connection?.close();
    await this.#whenIdle();
    this.#pool?.close();
    this.#log.info("worker.stopped", { worker: this.#id });
    this.#done.resolve();
  }

  #whenIdle(): Promise<void> {
    if (this.#inFlight.size === 0) return Promise.resolve();
    this.#idle ??= Promise.withResolvers<void>();
    return this.#idle.promise;
  }

  #emit(event: TaskEvent): void {
    logTaskEvent(this.#log, event);
    for (const listener of this.#listeners) listener(event);
  }

  async #setup(model: ChannelModel, generation: number): Promise<void> {
    const { main, dead } = this.#names;
    await declareQueues(
      model,
      [[main, mainQueueOptions(this.#type)], [dead, deadQueueOptions(this.#type)]],
      this.#log,
    );
    const consume = await model.createChannel();
    const publish = await model.createConfirmChannel();
    const session: SessionState = {
      model,
      consume,
      publish,
      retryQueues: new Set(),
      unacked: [],
      consumerTag: undefined,
      open: true,
    };
    for (const channel of [consume, publish]) {
      channel.on("error", (err: Error) => this.#log.warn("channel.error", { error: err.message }));
      channel.on("close", () => this.#onChannelClose(session));
    }
    await consume.prefetch(this.#prefetch);
    this.#session = session;
    this.#generation = generation;
    if (this.#stopping) return;
    const { consumerTag } = await consume.consume(
      main,
      (message) => {
        if (message) this.#onDelivery(message, session);
        else this.#onCancelled(session);
      },
      { noAck: false },
    );
    session.consumerTag = consumerTag;
    this.#log.info(generation === 1 ? "worker.started" : "worker.resumed", {
      worker: this.#id,
      queue: main,
      prefetch: this.#prefetch,
      tasks: this.#catalog.names.join(","),
      ...(this.#pool ? { threads: this.#pool.size } : {}),
    });
  }

  #onChannelClose(session: SessionState): void {
    if (!session.open) return;
    session.open = false;
    // A channel closed under a live connection: start over on a new connection, so that no
    // delivery of the old channel is ever acknowledged on another.
    if (!this.#connection?.closing) session.model.close().catch(() => {});
  }

  #onCancelled(session: SessionState): void {
    this.#log.warn("consumer.cancelled", {
      queue: this.#names.main,
      detail:
        "the broker cancelled the consumer (queue deleted?); reconnecting to declare it again",
    });
    session.model.close().catch(() => {});
  }

  #onLost(err: Error): void {
    if (this.#session) this.#session.open = false;
    for (const delivery of this.#inFlight) delivery.cancel.abort(err);
  }

  #onDelivery(message: ConsumeMessage, session: SessionState): void {
    const delivery: Delivery = {
      message,
      session,
      started: performance.now(),
      cancel: new AbortController(),
    };
    this.#inFlight.add(delivery);
    session.unacked.push(message.fields.deliveryTag);
    this.#process(delivery)
      .catch((err) => this.#unsettled(delivery, err))
      .finally(() => {
        this.#inFlight.delete(delivery);
        if (this.#inFlight.size === 0 && this.#idle) {
          this.#idle.resolve();
          this.#idle = undefined;
        }
      });
  }

  async #process(delivery: Delivery): Promise<void> {
    const { message } = delivery;
    const decoded = decodeTask(message, this.#catalog, this.#maxBytes);
    if (!decoded.ok) {
      const { id, reason, error } = decoded;
      return this.#deadLetter(delivery, { id, reason, error, task: decoded.task });
    }
    const { id, task, payload, attempts } = decoded;
    const deaths = this.#redeliveries(message);
    if (deaths >= this.#maxRedeliveries) {
      const error = `worker died while running it ${deaths} time${deaths === 1 ? "" : "s"}`;
      return this.#deadLetter(delivery, {
        id,
        reason: "worker-died",
        error,
        task: task.name,
        attempts: attempts + deaths, // each death was an attempt too
      });
    }
    if (
      message.fields.redelivered && !(DELIVERY_COUNT_HEADER in (message.properties.headers ?? {}))
    ) {
      // A classic queue does not count redeliveries: count them in a header of a fresh copy.
      return this.#requeue(delivery, id, task.name, { [HEADERS.deaths]: deaths + 1 }, {
        reason: `redelivered after its worker died or disconnected (${
          deaths + 1
        } of ${this.#maxRedeliveries})`,
      });
    }
    const attempt = attempts + 1;
    this.#emit({ event: "task.started", task: task.name, id, attempt });
    const log = this.#log;
    let child: Logger | undefined;
    const context = {
      attempt,
      id,
      task: task.name,
      get log(): Logger {
        return child ??= log.child({ task: task.name, id });
      },
    };
    const outcome = this.#pool && task.cpu
      ? await this.#pool.run(task, payload, context, task.timeout, delivery.cancel.signal)
      : await runAttempt(task, payload, context, task.timeout, delivery.cancel.signal);
    const ms = since(delivery.started);
    if (outcome.ok) {
      // Reported before the ack: a worker killed in between leaves a duplicate, never a task
      // that was acknowledged without a trace.
      this.#emit({ event: "task.done", task: task.name, id, attempt, ms, result: outcome.value });
      if (replyAddress(delivery) !== undefined) {
        await this.#reply(delivery, { id, task: task.name, ok: true, result: outcome.value });
      }
      this.#ack(delivery);
      return;
    }
    if (delivery.cancel.signal.aborted && delivery.cancel.signal.reason === outcome.error) {
      return this.#requeue(delivery, id, task.name, {}, { reason: describeError(outcome.error) });
    }
    const error = describeError(outcome.error);
    const decision = decideFailure(task, attempt, outcome.error, this.#overrides);
    if (decision.kind === "dead") {
      return this.#deadLetter(delivery, {
        id,
        reason: decision.reason,
        error,
        task: task.name,
        attempts: attempt,
      });
    }
    if (await this.#retry(delivery, id, attempt, error, decision.delay)) {
      this.#emit({
        event: "task.failed",
        task: task.name,
        id,
        attempt,
        ms,
        error,
        retryIn: decision.delay,
      });
    } else {
      this.#returned(task.name, id);
    }
  }

  /** Redeliveries after a worker died: the broker's count on quorum queues, ours on classic. */
  #redeliveries(message: ConsumeMessage): number {
    return countHeader(message, HEADERS.deaths) + countHeader(message, DELIVERY_COUNT_HEADER);
  }

  #failureHeaders(delivery: Delivery, error: string): Record<string, unknown> {
    const now = new Date().toISOString();
    const first: unknown = delivery.message.properties.headers?.[HEADERS.firstFailure];
    return {
      [HEADERS.error]: error,
      [HEADERS.firstFailure]: typeof first === "string" ? first : now,
      [HEADERS.lastFailure]: now,
      [HEADERS.worker]: this.#id,
      [HEADERS.queue]: this.#names.main,
    };
  }

  async #retry(
    delivery: Delivery,
    id: string,
    attempt: number,
    error: string,
    delay: number,
  ): Promise<boolean> {
    const { session, message } = delivery;
    if (!this.#usable(delivery)) return false;
    const queue = this.#names.retry(delay);
    if (!session.retryQueues.has(queue)) {
      await declareQueues(session.model, [[
        queue,
        retryQueueOptions(this.#names, this.#type, delay),
      ]], this.#log);
      session.retryQueues.add(queue);
    }
    const properties = copyProperties(message, id, {
      ...this.#failureHeaders(delivery, error),
      [HEADERS.attempts]: attempt,
      [HEADERS.deaths]: 0,
    });
    return await this.#publishThenAck(delivery, queue, message.content, properties);
  }

  async #deadLetter(
    delivery: Delivery,
    dead: {
      id: string;
      reason: DeadReason;
      error: string;
      task?: string | undefined;
      attempts?: number;
    },
  ): Promise<void> {
    const { message } = delivery;
    const properties = copyProperties(message, dead.id, {
      ...this.#failureHeaders(delivery, dead.error),
      [HEADERS.reason]: dead.reason,
      ...(dead.attempts === undefined ? {} : { [HEADERS.attempts]: dead.attempts }),
    });
    if (!this.#usable(delivery)) return this.#returned(dead.task, dead.id);
    await publishConfirmed(delivery.session.publish, this.#names.dead, message.content, properties);
    await this.#reply(delivery, {
      id: dead.id,
      ok: false,
      reason: dead.reason,
      error: dead.error,
      ...(dead.task === undefined ? {} : { task: dead.task }),
    });
    this.#emit({
      event: "task.dead",
      id: dead.id,
      ms: since(delivery.started),
      reason: dead.reason,
      error: dead.error,
      ...(dead.task === undefined ? {} : { task: dead.task }),
      ...(dead.attempts === undefined ? {} : { attempt: dead.attempts }),
    });
    this.#ack(delivery);
  }

  /** Puts a copy back at the end of the work queue (confirmed), then acks the delivery. */
  async #requeue(
    delivery: Delivery,
    id: string,
    task: string,
    headers: Record<string, unknown>,
    detail: { reason: string },
  ): Promise<void> {
    const { message } = delivery;
    const properties = copyProperties(message, id, headers);
    if (!await this.#publishThenAck(delivery, this.#names.main, message.content, properties)) {
      return this.#returned(task, id);
    }
    this.#emit({ event: "task.returned", task, id, reason: detail.reason });
  }

  /** Reports a delivery that the broker requeues because its connection was lost. */
  #returned(task: string | undefined, id: string): void {
    this.#emit({
      event: "task.returned",
      id,
      reason: "the connection was lost before its outcome was settled; the broker requeues it",
      ...(task === undefined ? {} : { task }),
    });
  }

  /**
   * Sends the outcome to the producer that asked for it (the `reply_to` property: RabbitMQ's
   * direct reply-to), confirmed, before the delivery is acked. Costs nothing without `reply_to`.
   */
  async #reply(delivery: Delivery, outcome: TaskOutcome): Promise<void> {
    const replyTo = replyAddress(delivery);
    if (replyTo === undefined || !this.#usable(delivery)) return;
    await publishConfirmed(delivery.session.publish, replyTo, encodeOutcome(outcome), {
      correlationId: outcome.id,
      contentType: "application/json",
    });
  }

  #usable(delivery: Delivery): boolean {
    return delivery.session.open && delivery.session === this.#session;
  }

  async #publishThenAck(
    delivery: Delivery,
    queue: string,
    body: Buffer,
    properties: Options.Publish,
  ): Promise<boolean> {
    if (!this.#usable(delivery)) return false;
    await publishConfirmed(delivery.session.publish, queue, body, properties);
    return this.#ack(delivery);
  }

  /**
   * Acks the delivery if its channel is still the live one; says whether it will. Acks go out
   * together at the end of the event loop's turn, after the log lines of their outcomes.
   */
  #ack(delivery: Delivery): boolean {
    // A delivery of an older channel is never acked on a newer one: the broker requeued it.
    if (!this.#usable(delivery)) return false;
    this.#acks.push(delivery);
    if (this.#inFlight.size <= 1) {
      // Nothing else is running (prefetch 1, or an idle moment): waiting would only delay the
      // next delivery.
      this.#flushAcks();
    } else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flushAcks());
    }
    return true;
  }

  /**
   * Writes the pending log lines, then sends the pending acks: a worker killed in between leaves
   * a duplicate, never a task acknowledged without its line. Acks that cover every delivery up
   * to a tag go out as one `multiple` ack.
   */
  #flushAcks(): void {
    this.#flushScheduled = false;
    if (this.#acks.length === 0) return;
    this.#log.flush?.();
    const acks = this.#acks;
    this.#acks = [];
    // Only deliveries of the current session can still be acked (see #usable).
    const session = this.#session;
    const done = acks.filter((delivery) => this.#usable(delivery)).map((d) => d.message);
    if (session !== undefined && done.length > 0) {
      ackInOrder(session.consume, session.unacked, done);
    }
  }

  #unsettled(delivery: Delivery, err: unknown): void {
    this.#log.error("task.unsettled", {
      id: delivery.message.properties.messageId,
      error: describeError(err),
      detail: this.#stopping
        ? "the worker stopped before the broker confirmed its outcome; the broker requeues it"
        : "could not publish its outcome; reconnecting so that the broker redelivers it",
    });
    if (delivery.session.open) delivery.session.model.close().catch(() => {});
  }
}

/** Where the delivery asks for its outcome to go (`reply_to`), if it does. */
function replyAddress(delivery: Delivery): string | undefined {
  const replyTo: unknown = delivery.message.properties.replyTo;
  return typeof replyTo === "string" && replyTo !== "" ? replyTo : undefined;
}

/** How long a stopping worker waits for the broker to confirm an outcome, or to close a channel. */
const SETTLE_TIMEOUT_MS = 5_000;

function checkTimeouts(catalog: Catalog, consumerTimeout: number): void {
  for (const name of catalog.names) {
    const task = catalog.get(name)!;
    if (task.timeout >= consumerTimeout) {
      throw new ConfigError(
        `Cannot start worker as task '${name}' has a time limit of ${task.timeout} ms, not below the broker's consumer_timeout of ${consumerTimeout} ms: lower the task's 'timeout', or raise consumer_timeout in rabbitmq.conf and tell the worker (--consumer-timeout)`,
      );
    }
  }
}
