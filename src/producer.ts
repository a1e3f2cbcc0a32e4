/**
 * The producer: publishes tasks as persistent messages on a confirm channel and resolves each
 * publish only when the broker confirmed it. Messages are mandatory, so a message that reaches no
 * queue is reported, not lost. A window bounds the unconfirmed messages held in memory; after a
 * lost connection they are published again on the next one (at least once).
 *
 * @module
 */
import type { ChannelModel, ConfirmChannel, Message } from "amqplib";
import type { Catalog, TaskInput, TaskName } from "./catalog.ts";
import { decodeOutcome, type EncodedTask, type TaskOutcome } from "./codec.ts";
import { backoffCeiling } from "./backoff.ts";
import { BrokerConnection } from "./connection.ts";
import { settlesWithin, withTimeout } from "./deadline.ts";
import { ConfigError, describeError, PublishError, ResultTimeoutError } from "./errors.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { prepareTask } from "./prepare.ts";
import {
  declareQueues,
  DEFAULT_QUEUE,
  mainQueueOptions,
  type QueueNames,
  queueNames,
  type QueueType,
} from "./topology.ts";
import { DEFAULT_URL } from "./urls.ts";

/** Options of {@linkcode Producer.connect}. */
export interface ProducerOptions {
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
   * Type of the work queue, if Warren declares it.
   * @default {"classic"}
   */
  queueType?: QueueType;
  /**
   * Most messages published and not yet confirmed; further publishes wait for room.
   * @default {1000}
   */
  window?: number;
  /**
   * How many times a publish the broker nacked is sent again before it fails (after 250 ms,
   * doubling up to 4 s): a quorum queue nacks publishes while it elects a new leader (after its
   * leader's node went down), and a full queue with `x-overflow: reject-publish` until it has
   * room. 0 fails at the first nack; the default keeps trying for about half a minute. On a
   * quorum queue, 3 nacks in a row also move the producer to a new channel.
   * @default {10}
   */
  nackRetries?: number;
  /**
   * How long a publish waits for a connection while the broker is unreachable, in milliseconds.
   * @default {30000}
   */
  connectTimeout?: number;
  /**
   * Listen for task outcomes (RabbitMQ's direct reply-to), so that
   * {@linkcode Producer.enqueue} can ask for one with `{ result: true }`. Without it, results
   * cost nothing.
   * @default {false}
   */
  results?: boolean;
  /**
   * Where connection and queue events are logged.
   * @default {null (nothing is logged)}
   */
  logger?: Logger | null;
}

/** Options of {@linkcode Producer.enqueue}. */
export interface EnqueueOptions {
  /**
   * The message id.
   * @default {a new random UUID}
   */
  id?: string;
  /**
   * Extra headers.
   * @default {{}}
   */
  headers?: Record<string, unknown>;
  /**
   * Ask the worker for the task's outcome; read it with {@linkcode Producer.result}. Needs a
   * producer created with `results: true`.
   * @default {false}
   */
  result?: boolean;
}

/** RabbitMQ's pseudo-queue for direct replies. */
export const DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

/** A confirmed publish. */
export interface Receipt {
  /** The message id of the task. */
  readonly id: string;
  /** The task's name. */
  readonly task: string;
}

/** What {@linkcode Producer.publishAll} came to. */
export interface PublishSummary {
  /** How many messages the broker confirmed. */
  readonly confirmed: number;
  /** The publishes that failed, each with its reason. */
  readonly failed: readonly PublishError[];
}

interface Pending {
  readonly message: EncodedTask;
  /** Hears the outcome once: the receipt, or why it failed. */
  readonly settle: (outcome: Receipt | PublishError) => void;
  channel: ConfirmChannel | undefined;
  returned: boolean;
  /** How many times the broker nacked it. */
  nacks: number;
  /** The timer of its next send after a nack, if one is scheduled. */
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

/** Delay before the first new send of a nacked publish (ms); it doubles up to the max. */
const NACK_RETRY_BACKOFF = { base: 250, max: 4_000 } as const;

/**
 * Nacks in a row after which a producer on a quorum queue publishes on a new channel. RabbitMQ
 * 3.10 picks a channel's quorum queue leader from the queue record when the channel first
 * publishes; when that leader's node has just gone down, every publish on the channel is nacked
 * until the channel closes, even after a new leader was elected. A new channel asks again.
 */
export const NACKS_BEFORE_NEW_CHANNEL = 3;

/**
 * Publishes tasks of a catalog to a work queue. Create one with {@linkcode Producer.connect}.
 *
 * @example Enqueue a task and wait for the broker's confirm
 * ```ts ignore
 * import { catalog } from "../tasks/mod.ts";
 * import { Producer } from "./producer.ts";
 *
 * const producer = await Producer.connect(catalog, { queue: "task_queue" });
 * const { id } = await producer.enqueue("sum", { start: 1, end: 10_000 });
 * await producer.close();
 * ```
 */
export class Producer<C extends Catalog> {
  readonly #catalog: C;
  readonly #names: QueueNames;
  readonly #window: number;
  readonly #connectTimeout: number;
  readonly #nackRetries: number;
  readonly #log: Logger;
  readonly #outstanding = new Set<Pending>();
  readonly #results = new Map<string, PromiseWithResolvers<TaskOutcome>>();
  readonly #wantResults: boolean;
  #connection: BrokerConnection | undefined;
  readonly #queueType: QueueType;
  #model: ChannelModel | undefined;
  #channel: ConfirmChannel | undefined;
  /** Nacks since the current channel's last confirm. */
  #nacksInRow = 0;
  #channelUp = Promise.withResolvers<ConfirmChannel>();
  #drain: PromiseWithResolvers<void> | undefined;
  #room: PromiseWithResolvers<void> | undefined;
  #allSettled: PromiseWithResolvers<void> | undefined;
  #closed = false;

  private constructor(catalog: C, options: ProducerOptions) {
    this.#catalog = catalog;
    this.#names = queueNames(options.queue ?? DEFAULT_QUEUE);
    this.#window = options.window ?? 1000;
    if (!Number.isInteger(this.#window) || this.#window < 1) {
      throw new ConfigError(
        `Cannot start producer as 'window' must be a positive integer: current value is ${this.#window}`,
      );
    }
    this.#connectTimeout = options.connectTimeout ?? 30_000;
    this.#nackRetries = options.nackRetries ?? 10;
    if (!Number.isInteger(this.#nackRetries) || this.#nackRetries < 0) {
      throw new ConfigError(
        `Cannot start producer as 'nackRetries' must be a non-negative integer: current value is ${this.#nackRetries}`,
      );
    }
    this.#queueType = options.queueType ?? "classic";
    this.#wantResults = options.results ?? false;
    this.#log = options.logger ?? silentLogger;
    this.#channelUp.promise.catch(() => {});
  }

  /** Connects to the broker, declares the work queue and opens a confirm channel. */
  static async connect<C extends Catalog>(
    catalog: C,
    options: ProducerOptions = {},
  ): Promise<Producer<C>> {
    const producer = new Producer(catalog, options);
    const urls = typeof options.url === "string" ? [options.url] : options.url ?? [DEFAULT_URL];
    producer.#connection = await BrokerConnection.open(
      { urls, name: "warren producer", logger: producer.#log },
      (model) => producer.#setup(model),
    );
    producer.#connection.onFailed((err) => {
      producer.#channelUp.reject(err);
      producer.#failAll("closed", err);
    });
    return producer;
  }

  /** The work queue's name. */
  get queue(): string {
    return this.#names.main;
  }

  /** How many published messages wait for the broker's confirm. */
  get unconfirmed(): number {
    return this.#outstanding.size;
  }

  /**
   * Validates the payload of task `name`, publishes it and resolves when the broker confirmed
   * it. Rejects with {@linkcode ValidationError} (nothing published), {@linkcode UnknownTaskError}
   * or {@linkcode PublishError}.
   */
  enqueue<N extends TaskName<C>>(
    name: N,
    payload: TaskInput<C, N>,
    options: EnqueueOptions = {},
  ): Promise<Receipt> {
    let message: EncodedTask;
    try {
      const { result, ...encode } = options;
      message = prepareTask(this.#catalog, name, payload, {
        ...encode,
        ...(result ? { replyTo: DIRECT_REPLY_TO } : {}),
      });
    } catch (err) {
      return Promise.reject(err);
    }
    return this.publish(message);
  }

  /**
   * The outcome of task `id`, enqueued with `{ result: true }`: its result, or why it was
   * dead-lettered. Rejects with {@linkcode ResultTimeoutError} after `timeoutMs`. Outcomes of
   * tasks published before a lost connection (or before a move to a new channel, see
   * `nackRetries`) are lost with it: the reply address was that channel's.
   */
  result(id: string, timeoutMs = 60_000): Promise<TaskOutcome> {
    const waiter = this.#results.get(id);
    if (!waiter) {
      return Promise.reject(
        new ConfigError(
          `Cannot wait for the result of task ${id}: it was not enqueued with { result: true }`,
        ),
      );
    }
    return withTimeout(waiter.promise, timeoutMs, () => new ResultTimeoutError(id, timeoutMs))
      .finally(() => this.#results.delete(id));
  }

  /** Publishes a message made by `prepareTask`; resolves when the broker confirmed it. */
  async publish(message: EncodedTask): Promise<Receipt> {
    const { promise, resolve, reject } = Promise.withResolvers<Receipt>();
    await this.#submit(message, (outcome) => {
      if (outcome instanceof PublishError) reject(outcome);
      else resolve(outcome);
    });
    return promise;
  }

  /**
   * Publishes each message of `messages` with at most `window` unconfirmed at a time, and
   * resolves when all are settled. `onSettled` hears of each one as it is confirmed or fails.
   */
  async publishAll(
    messages: Iterable<EncodedTask> | AsyncIterable<EncodedTask>,
    onSettled?: (outcome: Receipt | PublishError) => void,
  ): Promise<PublishSummary> {
    let confirmed = 0;
    let inFlight = 0;
    let fed = false;
    const failed: PublishError[] = [];
    const allSettled = Promise.withResolvers<void>();
    const settle = (outcome: Receipt | PublishError) => {
      if (outcome instanceof PublishError) failed.push(outcome);
      else confirmed++;
      onSettled?.(outcome);
      if (--inFlight === 0 && fed) allSettled.resolve();
    };
    const notSent = (err: unknown): never => {
      inFlight--;
      throw err;
    };
    const submit = (message: EncodedTask): Promise<void> | undefined => {
      inFlight++;
      try {
        return this.#submit(message, settle)?.catch(notSent);
      } catch (err) {
        return notSent(err);
      }
    };
    try {
      // While the window has room, a message is published at once, without awaiting.
      if (Symbol.iterator in messages) {
        for (const message of messages) {
          const wait = submit(message);
          if (wait) await wait;
        }
      } else {
        for await (const message of messages) {
          const wait = submit(message);
          if (wait) await wait;
        }
      }
    } finally {
      fed = true;
      if (inFlight === 0) allSettled.resolve();
      await allSettled.promise;
    }
    return { confirmed, failed };
  }

  /** Waits for every outstanding confirm (up to `timeoutMs`), then closes the connection. */
  async close(timeoutMs = 30_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#outstanding.size > 0) {
      this.#allSettled ??= Promise.withResolvers<void>();
      await settlesWithin(this.#allSettled.promise, timeoutMs);
    }
    this.#failAll("timeout", new Error(`not confirmed within ${timeoutMs} ms of closing`));
    this.#channelUp.reject(new PublishError("closed", "", "the producer is closed"));
    await this.#connection?.close();
  }

  async #setup(model: ChannelModel): Promise<void> {
    await declareQueues(model, [[this.#names.main, mainQueueOptions(this.#queueType)]], this.#log);
    this.#model = model;
    await this.#openChannel(model);
  }

  /** Opens a confirm channel on `model`, and sends on it every message not yet confirmed. */
  async #openChannel(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    channel.on("error", (err: Error) => this.#log.warn("channel.error", { error: err.message }));
    channel.on("return", (message: Message) => this.#onReturn(message));
    channel.on("close", () => this.#onChannelClose(channel, model));
    if (this.#wantResults) {
      await channel.consume(DIRECT_REPLY_TO, (reply) => reply && this.#onReply(reply), {
        noAck: true,
      });
    }
    this.#channel = channel;
    this.#nacksInRow = 0;
    this.#channelUp.resolve(channel);
    const resend = [...this.#outstanding];
    if (resend.length > 0) this.#log.info("publish.resend", { count: resend.length });
    for (const pending of resend) this.#transmit(pending, channel);
  }

  #onChannelClose(channel: ConfirmChannel, model: ChannelModel): void {
    if (this.#channel !== channel) return;
    this.#channelGone();
    // A channel closed under a live connection (a channel error): start over on a new connection.
    if (!this.#closed) model.close().catch(() => {});
  }

  /** Forgets the current channel: publishes wait for the next one. */
  #channelGone(): void {
    this.#channel = undefined;
    this.#channelUp = Promise.withResolvers<ConfirmChannel>();
    this.#channelUp.promise.catch(() => {});
    this.#releaseDrain();
  }

  /**
   * Replaces `channel` by a new one on the same connection (see
   * {@linkcode NACKS_BEFORE_NEW_CHANNEL}); its unconfirmed messages are sent on the new one. If
   * that fails, the connection is closed and the next one takes over.
   */
  async #renewChannel(channel: ConfirmChannel): Promise<void> {
    const model = this.#model;
    if (this.#channel !== channel || this.#closed || model === undefined) return;
    this.#log.warn("publish.new_channel", { nacks: this.#nacksInRow, queue: this.#names.main });
    this.#channelGone();
    try {
      await channel.close();
      await this.#openChannel(model);
    } catch (err) {
      this.#log.warn("publish.new_channel_failed", { error: describeError(err) });
      model.close().catch(() => {});
    }
  }

  #onReply(reply: Message): void {
    const outcome = decodeOutcome(reply.content);
    const id: unknown = reply.properties.correlationId;
    if (outcome && typeof id === "string") this.#results.get(id)?.resolve(outcome);
  }

  #onReturn(message: Message): void {
    const id: unknown = message.properties.messageId;
    // Returns are rare (the queue was deleted): a search beats an index kept for every publish.
    for (const pending of this.#outstanding) {
      if (pending.message.id === id && pending.channel !== undefined) pending.returned = true;
    }
  }

  /**
   * Publishes `message` at once when the window has room, a channel is open and no drain is
   * awaited (and returns nothing); otherwise returns a promise that does so when it can. Fails
   * (throws or rejects) when the producer is closed or no connection comes in time.
   */
  #submit(
    message: EncodedTask,
    settle: (outcome: Receipt | PublishError) => void,
  ): Promise<void> | undefined {
    if (this.#closed) {
      throw new PublishError("closed", message.id, "Cannot publish: the producer is closed");
    }
    if (message.properties.replyTo && !this.#results.has(message.id)) {
      if (!this.#wantResults) {
        throw new ConfigError(
          "Cannot ask for a task's result as the producer does not listen for results: create it with { results: true }",
        );
      }
      const waiter = Promise.withResolvers<TaskOutcome>();
      waiter.promise.catch(() => {});
      this.#results.set(message.id, waiter);
    }
    const channel = this.#channel;
    if (channel && this.#outstanding.size < this.#window && !this.#drain) {
      this.#send(message, settle, channel);
      return undefined;
    }
    return this.#submitLater(message, settle);
  }

  async #submitLater(
    message: EncodedTask,
    settle: (outcome: Receipt | PublishError) => void,
  ): Promise<void> {
    while (this.#outstanding.size >= this.#window) {
      this.#room ??= Promise.withResolvers<void>();
      await this.#room.promise;
    }
    if (this.#drain) await this.#drain.promise;
    let channel: ConfirmChannel;
    try {
      channel = this.#channel ?? await withTimeout(
        this.#channelUp.promise,
        this.#connectTimeout,
        () => new Error(`not connected to RabbitMQ after waiting ${this.#connectTimeout} ms`),
      );
    } catch (err) {
      throw new PublishError("closed", message.id, describeError(err), { cause: err });
    }
    this.#send(message, settle, channel);
  }

  #send(
    message: EncodedTask,
    settle: (outcome: Receipt | PublishError) => void,
    channel: ConfirmChannel,
  ): void {
    const pending: Pending = {
      message,
      settle,
      channel: undefined,
      returned: false,
      nacks: 0,
      retryTimer: undefined,
    };
    this.#outstanding.add(pending);
    this.#transmit(pending, channel);
  }

  #transmit(pending: Pending, channel: ConfirmChannel): void {
    this.#cancelRetry(pending);
    pending.channel = channel;
    pending.returned = false;
    const { message } = pending;
    const options = message.properties; // mandatory: a message that reaches no queue comes back
    const ok = channel.publish("", this.#names.main, message.body, options, (err: unknown) => {
      this.#settle(pending, channel, err);
    });
    if (!ok && !this.#drain) {
      this.#drain = Promise.withResolvers<void>();
      channel.once("drain", () => this.#releaseDrain());
    }
  }

  /** Lets waiting publishers go on: the channel drained, or closed (they wait for the next). */
  #releaseDrain(): void {
    this.#drain?.resolve();
    this.#drain = undefined;
  }

  #settle(pending: Pending, channel: ConfirmChannel, err: unknown): void {
    if (pending.channel !== channel || !this.#outstanding.has(pending)) return;
    const { id, task } = pending.message;
    if (err instanceof Error && err.message === "channel closed" && !this.#closed) {
      return; // published again once a new channel is open
    }
    if (channel === this.#channel) this.#nacksInRow = err ? this.#nacksInRow + 1 : 0;
    if (err && this.#retryNacked(pending)) {
      if (this.#queueType === "quorum" && this.#nacksInRow >= NACKS_BEFORE_NEW_CHANNEL) {
        this.#renewChannel(channel).catch(() => {});
      }
      return;
    }
    let failure: PublishError | undefined;
    if (err) {
      const reason = err instanceof Error && err.message === "channel closed" ? "closed" : "nacked";
      failure = new PublishError(
        reason,
        id,
        reason === "nacked"
          ? `The broker refused task '${task}' (${id}): the queue '${this.#names.main}' may be full or the broker out of resources`
          : `The channel closed before the broker confirmed task '${task}' (${id})`,
        { cause: err },
      );
    } else if (pending.returned) {
      failure = new PublishError(
        "unroutable",
        id,
        `Task '${task}' (${id}) reached no queue: the queue '${this.#names.main}' does not exist (was it deleted?)`,
      );
    }
    this.#forget(pending);
    pending.settle(failure ?? { id, task });
  }

  /**
   * Schedules a new send of a nacked publish, unless its retries are used up or the producer is
   * closing; true when it did. Until then the publish stays outstanding (it counts against the
   * window, and `close()` waits for it); a reconnection sends it at once.
   */
  #retryNacked(pending: Pending): boolean {
    if (this.#closed || pending.nacks >= this.#nackRetries) return false;
    pending.nacks++;
    pending.channel = undefined; // not sent anywhere now; a late callback of the nacked send is ignored
    const delay = backoffCeiling(pending.nacks, NACK_RETRY_BACKOFF);
    const { id, task } = pending.message;
    this.#log.warn("publish.nacked", { id, task, retry: pending.nacks, delay });
    // Settling the publish or sending it sooner (on a new channel) cancels the timer; with no
    // channel now, the next channel's setup sends it.
    pending.retryTimer = setTimeout(() => {
      pending.retryTimer = undefined;
      if (this.#channel) this.#transmit(pending, this.#channel);
    }, delay);
    return true;
  }

  #cancelRetry(pending: Pending): void {
    if (pending.retryTimer === undefined) return;
    clearTimeout(pending.retryTimer);
    pending.retryTimer = undefined;
  }

  #forget(pending: Pending): void {
    this.#cancelRetry(pending);
    this.#outstanding.delete(pending);
    if (this.#room && this.#outstanding.size < this.#window) {
      this.#room.resolve();
      this.#room = undefined;
    }
    if (this.#allSettled && this.#outstanding.size === 0) {
      this.#allSettled.resolve();
      this.#allSettled = undefined;
    }
  }

  #failAll(reason: "closed" | "timeout", cause: unknown): void {
    for (const pending of [...this.#outstanding]) {
      this.#forget(pending);
      const { id, task } = pending.message;
      pending.settle(
        new PublishError(
          reason,
          id,
          `Task '${task}' (${id}) was not confirmed: ${describeError(cause)}`,
          {
            cause,
          },
        ),
      );
    }
  }
}
