/**
 * A worker's gate on one rate-limited task: it takes a task from `Q.limited.<task>` only while
 * it holds a token of `Q.tokens.<task>`, and spends the token (acks it) as the task starts.
 *
 * The worker consumes the bucket with a prefetch of 1, so it holds at most one token, and
 * consumes the waiting queue only while it holds one: tasks over the limit wait in the broker,
 * in no worker's prefetch window, and a worker with nothing to do holds one token and waits for
 * a delivery (no polling). A task delivered in the moment between a token spent and the
 * consumer cancelled waits here for the next token (at most the prefetch).
 *
 * A token held longer than the broker's consumer timeout would close the channel (RabbitMQ 3.10,
 * 4.0; 4.3 times out quorum queues only, and the bucket is classic): an idle gate hands its
 * token back (a nack with requeue) after `holdMs`, below that timeout, and takes the next one the
 * broker gives. A cancel of the bucket's consumer (the queue deleted) calls `onCancelled`.
 *
 * @module
 */
import type { Channel, ConsumeMessage } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import type { Logger } from "../util/logger.ts";

/** What the gate starts and stops: a consumer of the waiting queue. */
export interface GatedConsumer {
  /** Starts consuming `queue`. */
  consume(queue: string): Promise<void>;
  /** Stops consuming, within `timeoutMs`. */
  stopConsuming(timeoutMs: number): Promise<void>;
}

/** Where the gate's queues are, and what it runs. */
export interface TokenGateOptions<T> {
  /** The bucket. */
  readonly tokens: string;
  /** The waiting queue. */
  readonly limited: string;
  /** Runs a task that got its token. */
  readonly run: (task: T) => void;
  /** Where troubles are logged. */
  readonly log: Logger;
  /** How long it holds a token with nothing to run, in milliseconds: under the consumer timeout. */
  readonly holdMs: number;
  /** Called when the broker cancels the bucket's consumer. */
  readonly onCancelled: () => void;
}

/** How long a cancel of the waiting queue's consumer may take, in milliseconds. */
const CANCEL_TIMEOUT_MS = 5_000;

/** See the module documentation. */
export class TokenGate<T> {
  readonly #channel: Channel;
  readonly #consumer: GatedConsumer;
  readonly #options: TokenGateOptions<T>;
  readonly #pending: T[] = [];
  #token: ConsumeMessage | undefined;
  #consuming = false;
  #syncing: Promise<void> = Promise.resolve();
  #stopped = false;
  #tokenTag: string | undefined;
  /** Hands an unspent token back before the consumer timeout. */
  #holdTimer: ReturnType<typeof setTimeout> | undefined;

  /** A gate that takes tokens on `channel` and starts and stops `consumer`. */
  constructor(channel: Channel, consumer: GatedConsumer, options: TokenGateOptions<T>) {
    this.#channel = channel;
    this.#consumer = consumer;
    this.#options = options;
  }

  /** Starts taking tokens. */
  async start(): Promise<void> {
    await this.#channel.prefetch(1);
    const { consumerTag } = await this.#channel.consume(this.#options.tokens, (message) => {
      if (message === null) return this.#options.onCancelled();
      this.#token = message;
      clearTimeout(this.#holdTimer);
      this.#holdTimer = setTimeout(() => this.#handBack(), this.#options.holdMs);
      this.#pump();
    }, { noAck: false });
    this.#tokenTag = consumerTag;
  }

  /** Tasks delivered and waiting here for a token. */
  get waiting(): number {
    return this.#pending.length;
  }

  /** Hands the gate a task delivered from the waiting queue. */
  offer(task: T): void {
    this.#pending.push(task);
    this.#pump();
  }

  /** Stops taking tokens and tasks; what was delivered and not run goes back when the channels close. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#holdTimer);
    const tag = this.#tokenTag;
    this.#tokenTag = undefined;
    if (tag !== undefined) {
      await this.#channel.cancel(tag).catch(() => {});
    }
    await this.#sync();
  }

  #pump(): void {
    while (this.#token !== undefined && this.#pending.length > 0 && !this.#stopped) {
      const task = this.#pending.shift()!;
      const token = this.#token;
      this.#token = undefined;
      clearTimeout(this.#holdTimer);
      try {
        this.#channel.ack(token);
      } catch (err) {
        // The channel is gone: the link restarts, and this task goes back with its own channel.
        this.#options.log.warn("ratelimit.token_lost", { error: describeError(err) });
        return;
      }
      this.#options.run(task);
    }
    this.#sync().catch(() => {});
  }

  /** Gives an unspent token back to the bucket, and stops taking tasks until the next one. */
  #handBack(): void {
    const token = this.#token;
    if (token === undefined || this.#stopped) return;
    this.#token = undefined;
    try {
      this.#channel.nack(token, false, true);
      this.#options.log.debug("ratelimit.token_renewed", { queue: this.#options.tokens });
    } catch (err) {
      this.#options.log.warn("ratelimit.token_lost", { error: describeError(err) });
    }
    this.#sync().catch(() => {});
  }

  /** Consumes the waiting queue when a token is held, and not otherwise; one change at a time. */
  #sync(): Promise<void> {
    this.#syncing = this.#syncing.then(async () => {
      // What is wanted may change while the broker answers: go on until it holds.
      for (;;) {
        const want = this.#token !== undefined && !this.#stopped;
        if (want === this.#consuming) return;
        this.#consuming = want;
        try {
          if (want) await this.#consumer.consume(this.#options.limited);
          else await this.#consumer.stopConsuming(CANCEL_TIMEOUT_MS);
        } catch (err) {
          this.#options.log.warn("ratelimit.gate_failed", {
            queue: this.#options.limited,
            error: describeError(err),
          });
          return;
        }
      }
    });
    return this.#syncing;
  }
}
