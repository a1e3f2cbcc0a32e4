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
import {
  ConfirmedPublisher,
  DEFAULT_MAX_BODY_BYTES,
  type PublishRoute,
} from "../broker/confirmed_publisher.ts";
import type { Channel, ConsumeMessage, Options } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import { finishesWithin } from "../util/deadline.ts";
import type { Logger } from "../util/logger.ts";
import { ackInOrder } from "./acks.ts";

/** What a session needs from its worker. */
export interface SessionHooks {
  /** Hears each delivery. */
  readonly onDelivery: (message: ConsumeMessage, session: ConsumerSession) => void;
  /** Hears that the broker cancelled the consumer (its queue was deleted, say). */
  readonly onCancelled: (session: ConsumerSession) => void;
  /** Writes the log lines held back, just before the acks they precede go out. */
  readonly flushLog: () => void;
  /** Where an ack or a reject that the channel refused is logged. */
  readonly log: Logger;
}

/** The session of one link; see the module documentation. */
export class ConsumerSession {
  /** The link the channels belong to. */
  readonly link: Link;
  readonly #consume: Channel;
  readonly #publish: ConfirmedPublisher;
  readonly #hooks: SessionHooks;
  /** Delivery tags of this session not yet acked, in the order they came. */
  readonly #unacked: number[] = [];
  #acks: ConsumeMessage[] = [];
  #flushScheduled = false;
  /** The consumers of this session (one per queue it consumes). */
  readonly #consumerTags = new Set<string>();
  #retired = false;

  private constructor(
    link: Link,
    consume: Channel,
    publish: ConfirmedPublisher,
    hooks: SessionHooks,
  ) {
    this.link = link;
    this.#consume = consume;
    this.#publish = publish;
    this.#hooks = hooks;
    // A closed channel settles nothing more: its deliveries are the broker's again.
    consume.on("close", () => this.retire());
    publish.channel.on("close", () => this.retire());
  }

  /**
   * Opens the session's channels on `link`, with `prefetch` on the consume channel; its
   * publisher sends bodies up to `maxBodyBytes` (at least `DEFAULT_MAX_BODY_BYTES`).
   */
  static async open(
    link: Link,
    prefetch: number,
    hooks: SessionHooks,
    maxBodyBytes: number = DEFAULT_MAX_BODY_BYTES,
  ): Promise<ConsumerSession> {
    const consume = await link.channel();
    const publish = await ConfirmedPublisher.open(link, {
      maxBodyBytes: Math.max(DEFAULT_MAX_BODY_BYTES, maxBodyBytes),
    });
    await consume.prefetch(prefetch);
    return new ConsumerSession(link, consume, publish, hooks);
  }

  /** Whether its deliveries can still be settled: its link is the live one, and it is open. */
  get live(): boolean {
    return !this.#retired && this.link.live;
  }

  /** Whether it consumes. */
  get consuming(): boolean {
    return this.live && this.#consumerTags.size > 0;
  }

  /**
   * Starts consuming `queue` with manual acknowledgement, and the consumer's `args` (a session
   * may consume several queues: each consumer has the session's prefetch).
   */
  async consume(queue: string, args: Record<string, unknown> = {}): Promise<void> {
    const { consumerTag } = await this.#consume.consume(queue, (message) => {
      if (message === null) {
        this.#hooks.onCancelled(this);
        return;
      }
      this.#unacked.push(message.fields.deliveryTag);
      this.#hooks.onDelivery(message, this);
    }, { noAck: false, arguments: args });
    this.#consumerTags.add(consumerTag);
  }

  /**
   * Stops the consumers (within `timeoutMs`), but those `keep` says to keep; deliveries already
   * taken stay.
   */
  async stopConsuming(timeoutMs: number, keep?: (consumerTag: string) => boolean): Promise<void> {
    const tags = [...this.#consumerTags].filter((tag) => !keep?.(tag));
    for (const tag of tags) this.#consumerTags.delete(tag);
    if (!this.live || tags.length === 0) return;
    await finishesWithin(Promise.all(tags.map((tag) => this.#consume.cancel(tag))), timeoutMs);
  }

  /**
   * Publishes to `to` (a queue through the default exchange, or a route) through the session's
   * {@linkcode ConfirmedPublisher}; resolves when the broker confirmed it, and rejects with a
   * `PublishError` otherwise (reason `closed` once the session is not live).
   */
  publish(to: string | PublishRoute, body: Buffer, properties: Options.Publish): Promise<void> {
    return this.#publish.publish(to, body, properties);
  }

  /**
   * Acks `message` if the session is live; says whether it will. Acks wait for the end of the
   * event loop's turn (after the log lines of their outcomes), unless `now`; `"held"` leaves
   * them for the caller's {@linkcode ConsumerSession.flush} within the same turn.
   */
  ack(message: ConsumeMessage, now: boolean | "held"): boolean {
    if (!this.live) return false;
    this.#acks.push(message);
    if (now === "held") {
      // the caller flushes within this turn
    } else if (now) {
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
    if (!this.live) return; // acks of an older link are dropped: the broker requeued them
    try {
      ackInOrder(this.#consume, this.#unacked, acks);
    } catch (err) {
      // The channel is closing under us (`IllegalOperationError`): its deliveries go back.
      this.retire();
      this.#hooks.log.warn("ack.dropped", {
        count: acks.length,
        error: describeError(err),
        detail: "the channel closed before its acks went out; the broker redelivers them",
      });
    }
  }

  /**
   * Rejects `message` at once, back to the queue (`requeue`) or not (a quorum queue then
   * dead-letters it; a classic one drops it). Nothing is sent when the session is not live.
   */
  reject(message: ConsumeMessage, requeue: boolean): void {
    const at = this.#unacked.indexOf(message.fields.deliveryTag);
    if (at >= 0) this.#unacked.splice(at, 1);
    if (!this.live) return;
    try {
      this.#consume.nack(message, false, requeue);
    } catch (err) {
      this.retire();
      this.#hooks.log.warn("ack.dropped", { count: 1, error: describeError(err) });
    }
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
    await finishesWithin(this.link.closeChannel(this.#publish.channel), timeoutMs);
  }
}
