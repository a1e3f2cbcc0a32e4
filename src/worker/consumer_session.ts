/**
 * A worker's consumer session: the channels of one link (a consume channel with the prefetch,
 * a confirm channel for the copies the worker publishes), the deliveries it holds
 * unacknowledged, and its acks, sent in batches. It is the one place that knows whether a
 * delivery can still be settled: only on the live link's session, never on a later one (the
 * broker requeued it when the old channel closed).
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Buffer } from "node:buffer";
import type { Link } from "../broker/link.ts";
import { publishConfirmed } from "../broker/publish.ts";
import type { Channel, ConfirmChannel, ConsumeMessage, Options } from "../deps/amqplib.ts";
import { finishesWithin } from "../util/deadline.ts";
import { ackInOrder } from "./acks.ts";

/** What a session needs from its worker. */
export interface SessionHooks {
  /** Hears each delivery. */
  readonly onDelivery: (message: ConsumeMessage, session: ConsumerSession) => void;
  /** Hears that the broker cancelled the consumer (its queue was deleted, say). */
  readonly onCancelled: (session: ConsumerSession) => void;
  /** Writes the log lines held back, just before the acks they precede go out. */
  readonly flushLog: () => void;
}

/** The session of one link; see the module documentation. */
export class ConsumerSession {
  /** The link the channels belong to. */
  readonly link: Link;
  readonly #consume: Channel;
  readonly #publish: ConfirmChannel;
  readonly #hooks: SessionHooks;
  /** Delivery tags of this session not yet acked, in the order they came. */
  readonly #unacked: number[] = [];
  #acks: ConsumeMessage[] = [];
  #flushScheduled = false;
  #consumerTag: string | undefined;
  #retired = false;

  private constructor(link: Link, consume: Channel, publish: ConfirmChannel, hooks: SessionHooks) {
    this.link = link;
    this.#consume = consume;
    this.#publish = publish;
    this.#hooks = hooks;
  }

  /** Opens the session's channels on `link`, with `prefetch` on the consume channel. */
  static async open(link: Link, prefetch: number, hooks: SessionHooks): Promise<ConsumerSession> {
    const consume = await link.channel();
    const publish = await link.confirmChannel();
    await consume.prefetch(prefetch);
    return new ConsumerSession(link, consume, publish, hooks);
  }

  /** Whether its deliveries can still be settled: its link is the live one, and it is open. */
  get live(): boolean {
    return !this.#retired && this.link.live;
  }

  /** Whether it consumes. */
  get consuming(): boolean {
    return this.live && this.#consumerTag !== undefined;
  }

  /** Starts consuming `queue` with manual acknowledgement, and the consumer's `args`. */
  async consume(queue: string, args: Record<string, unknown> = {}): Promise<void> {
    const { consumerTag } = await this.#consume.consume(queue, (message) => {
      if (message === null) {
        this.#hooks.onCancelled(this);
        return;
      }
      this.#unacked.push(message.fields.deliveryTag);
      this.#hooks.onDelivery(message, this);
    }, { noAck: false, arguments: args });
    this.#consumerTag = consumerTag;
  }

  /** Stops the consumer (within `timeoutMs`); deliveries already taken stay. */
  async stopConsuming(timeoutMs: number): Promise<void> {
    const tag = this.#consumerTag;
    if (!this.live || tag === undefined) return;
    this.#consumerTag = undefined;
    await finishesWithin(this.#consume.cancel(tag), timeoutMs);
  }

  /** Publishes a copy through the default exchange and waits for the broker's confirm. */
  publish(queue: string, body: Buffer, properties: Options.Publish): Promise<void> {
    return publishConfirmed(this.#publish, queue, body, properties);
  }

  /** Publishes through `exchange` with `routingKey` and waits for the broker's confirm. */
  publishVia(
    exchange: string,
    routingKey: string,
    body: Buffer,
    properties: Options.Publish,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#publish.publish(exchange, routingKey, body, properties, (err: unknown) => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve();
      });
    });
  }

  /**
   * Acks `message` if the session is live; says whether it will. Acks wait for the end of the
   * event loop's turn (after the log lines of their outcomes), unless `now`.
   */
  ack(message: ConsumeMessage, now: boolean): boolean {
    if (!this.live) return false;
    this.#acks.push(message);
    if (now) {
      this.flush();
    } else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /**
   * Writes the pending log lines, then sends the pending acks: a worker killed in between leaves
   * a duplicate, never a task acknowledged without its line. Acks that cover every delivery up
   * to a tag go out as one `multiple` ack.
   */
  flush(): void {
    this.#flushScheduled = false;
    if (this.#acks.length === 0) return;
    this.#hooks.flushLog();
    const acks = this.#acks;
    this.#acks = [];
    if (this.live) ackInOrder(this.#consume, this.#unacked, acks);
  }

  /** Takes the session out of use: nothing more is acked or published on it. */
  retire(): void {
    this.#retired = true;
  }

  /**
   * Sends what is pending and closes the channels on purpose, within `timeoutMs` each; the
   * session is retired. Channels first: amqplib may send the connection's close ahead of acks
   * still queued on a channel, and the broker would then redeliver tasks that are done.
   */
  async close(timeoutMs: number): Promise<void> {
    this.flush();
    const live = this.live;
    this.retire();
    if (!live) return;
    await finishesWithin(this.link.closeChannel(this.#consume), timeoutMs);
    await finishesWithin(this.link.closeChannel(this.#publish), timeoutMs);
  }
}
