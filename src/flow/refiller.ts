/**
 * The refiller of one rate limit: the one worker that holds the baton of `Q.refill.<task>` adds
 * tokens to `Q.tokens.<task>` at the limit's rate. Every worker consumes the baton queue, a
 * single-active-consumer queue holding one message: the broker delivers it to one worker, which
 * keeps it unacknowledged while it refills; when that worker's channel closes (it stopped, died,
 * or lost its connection) the broker gives the baton to another. A worker that finds the queue
 * empty and unconsumed puts a baton in; a second baton (two workers starting at once) reaches
 * the same active consumer, which acks it away.
 *
 * Each tick (every {@linkcode TICK_MS}) the refiller reads the bucket's depth (a passive
 * declare) and adds what accrued since, up to the burst (see `bucket.ts`). A full bucket takes
 * nothing, and the next tick waits longer, up to a second, but never longer than the bucket
 * takes to fill (`burst / perSecond`): a quiet limit costs about one passive declare a second,
 * from one worker. The tick after that counts one tick's accrual, not the whole wait (the bucket
 * may have been full until just before it), so after a quiet time the burst goes at once and the
 * rate resumes within that wait. It also reads how many tasks wait for a token (a
 * passive declare of `Q.limited.<task>`), for the worker's metrics: at most once a second, and
 * every {@linkcode IDLE_WAITING_READ_MS} while the bucket is full.
 *
 * RabbitMQ 3.10 and 4.0 close a channel that holds a delivery longer than the consumer timeout
 * (4.3 times out quorum queues only; the baton's is classic): the refiller hands the baton back
 * (a nack with requeue) every `holdMs`, below that timeout, and the single active consumer,
 * itself, takes it again at once. A cancel of its consumer (the queue deleted) restarts the
 * link, which declares the queues again.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Link } from "../broker/link.ts";
import type { Channel, ConsumeMessage } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import type { Logger } from "../util/logger.ts";
import { type BucketLimit, type BucketState, refill } from "./bucket.ts";

/** How often the refiller adds tokens, in milliseconds. */
export const TICK_MS = 100;

/** The longest wait between two ticks while the bucket is full, in milliseconds. */
export const IDLE_TICK_MS = 1_000;

/** How often the tasks waiting for a token are read while the bucket is full, in milliseconds. */
export const IDLE_WAITING_READ_MS = 5_000;

const EMPTY = Buffer.alloc(0);

/** A rate limit as the worker that refills it last read it. */
export interface LimitReading {
  /** The rate-limited task. */
  readonly task: string;
  /** Tokens in its bucket. */
  readonly tokens: number;
  /** Tasks waiting for a token. */
  readonly waiting: number;
}

/** What a refiller needs. */
export interface RefillerOptions {
  /** The task it refills for, for the log. */
  readonly task: string;
  /** The limit. */
  readonly limit: BucketLimit;
  /** The bucket's queue. */
  readonly tokens: string;
  /** The baton's queue. */
  readonly baton: string;
  /** Where the tasks wait for a token (read for the metrics). */
  readonly limited: string;
  /** How long it holds the baton before it hands it back, in milliseconds (under the timeout). */
  readonly holdMs: number;
  /** Where it says when it starts and stops refilling. */
  readonly log: Logger;
}

/** One worker's part in refilling a bucket; see the module documentation. */
export class Refiller {
  readonly #channel: Channel;
  readonly #link: Link;
  readonly #options: RefillerOptions;
  #baton: ConsumeMessage | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Hands the baton back before the consumer timeout. */
  #holdTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the baton was handed back, to come again (no new "refilling" line then). */
  #handedBack = false;
  #state: BucketState | undefined;
  #ticking = false;
  #closed = false;
  /** What the last reads found, while refilling. */
  #seen: { tokens: number; waiting: number; waitingAt: number } | undefined;

  private constructor(channel: Channel, link: Link, options: RefillerOptions) {
    this.#channel = channel;
    this.#link = link;
    this.#options = options;
    channel.on("close", () => this.#stop());
  }

  /** Opens a channel on `link` and joins the baton queue (the queues must be declared). */
  static async start(link: Link, options: RefillerOptions): Promise<Refiller> {
    const channel = await link.channel();
    const refiller = new Refiller(channel, link, options);
    const { messageCount, consumerCount } = await channel.checkQueue(options.baton);
    if (messageCount === 0 && consumerCount === 0) {
      channel.sendToQueue(options.baton, Buffer.from("baton"), { persistent: true });
    }
    await channel.prefetch(16);
    await channel.consume(options.baton, (message) => refiller.#onBaton(message), {
      noAck: false,
    });
    return refiller;
  }

  /** Whether this worker refills now. */
  get refilling(): boolean {
    return this.#baton !== undefined && !this.#closed;
  }

  /**
   * What this worker last read while it refills: the tokens in the bucket (each tick) and the
   * tasks waiting for one (once a second, every 5 s while the bucket is full); `undefined` when
   * another worker refills.
   */
  get reading(): LimitReading | undefined {
    const seen = this.#seen;
    if (!this.refilling || seen === undefined) return undefined;
    return { task: this.#options.task, tokens: seen.tokens, waiting: seen.waiting };
  }

  /** Stops refilling and closes the channel: the baton goes to another worker. */
  async close(link: Link): Promise<void> {
    this.#stop();
    await link.closeChannel(this.#channel);
  }

  #onBaton(message: ConsumeMessage | null): void {
    if (message === null) {
      this.#stop();
      return this.#link.restart(`the consumer of ${this.#options.baton} was cancelled`);
    }
    if (this.#baton !== undefined) {
      this.#channel.ack(message); // a second baton: one is enough
      return;
    }
    this.#baton = message;
    const { task, limit, holdMs } = this.#options;
    if (this.#handedBack) {
      this.#handedBack = false;
    } else {
      this.#state = { carry: 0, at: performance.now() };
      this.#options.log.info("ratelimit.refilling", {
        task,
        perSecond: limit.perSecond,
        burst: limit.burst,
      });
    }
    this.#holdTimer = setTimeout(() => this.#handBack(), holdMs);
    this.#schedule(TICK_MS);
  }

  /** Gives the baton back to its queue before the broker's consumer timeout takes it. */
  #handBack(): void {
    const baton = this.#baton;
    if (baton === undefined || this.#closed) return;
    this.#baton = undefined;
    this.#handedBack = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      this.#channel.nack(baton, false, true);
      this.#options.log.debug("ratelimit.baton_renewed", { task: this.#options.task });
    } catch {
      // The channel is gone: its close stops this refiller, and the broker keeps the baton.
    }
  }

  /** The next tick in `ms`, replacing any other. */
  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), ms);
  }

  async #tick(): Promise<void> {
    if (this.#ticking || this.#closed || this.#baton === undefined) return;
    if (this.#state === undefined) return;
    this.#ticking = true;
    let wait = TICK_MS;
    try {
      const { messageCount } = await this.#channel.checkQueue(this.#options.tokens);
      const { limit } = this.#options;
      const next = refill(this.#state, performance.now(), messageCount, limit, TICK_MS);
      this.#state = next.state;
      for (let i = 0; i < next.add; i++) {
        this.#channel.sendToQueue(this.#options.tokens, EMPTY, { persistent: false });
      }
      const full = messageCount >= limit.burst;
      if (full) {
        wait = Math.max(TICK_MS, Math.min(IDLE_TICK_MS, (1000 * limit.burst) / limit.perSecond));
      }
      await this.#readWaiting(messageCount, full ? IDLE_WAITING_READ_MS : IDLE_TICK_MS);
    } catch (err) {
      if (!this.#closed) {
        this.#options.log.warn("ratelimit.refill_failed", {
          task: this.#options.task,
          error: describeError(err),
        });
      }
    } finally {
      this.#ticking = false;
      // Handed back meanwhile: the next tick comes with the baton.
      if (!this.#closed && this.#baton !== undefined) this.#schedule(wait);
    }
  }

  /** Notes the tokens, and reads the tasks waiting for one if the last read is `every` old. */
  async #readWaiting(tokens: number, every: number): Promise<void> {
    const now = performance.now();
    if (this.#seen !== undefined && now - this.#seen.waitingAt < every) {
      this.#seen = { ...this.#seen, tokens };
      return;
    }
    const waiting = (await this.#channel.checkQueue(this.#options.limited)).messageCount;
    this.#seen = { tokens, waiting, waitingAt: now };
  }

  #stop(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#holdTimer);
    if (this.#baton !== undefined) {
      this.#options.log.info("ratelimit.stopped_refilling", { task: this.#options.task });
    }
  }
}
