/**
 * The producer's confirm channel: opened on each new link (with the direct reply-to consumer
 * when results are wanted), renewed on the same link after repeated nacks on a quorum queue,
 * and the `drain` of a full write buffer, which publishers wait for.
 *
 * @module
 */
import { ConfirmedPublisher } from "../broker/confirmed_publisher.ts";
import type { Link } from "../broker/link.ts";
import type { ConfirmChannel } from "../deps/amqplib.ts";
import type { PublishError } from "../errors/publish_error.ts";
import { describeError } from "../errors/describe.ts";
import { withTimeout } from "../util/deadline.ts";
import { Gate, Slot } from "../util/gate.ts";
import type { Logger } from "../util/logger.ts";
import type { ResultWaiters } from "./result_waiters.ts";

/** RabbitMQ's pseudo-queue for direct replies. */
export const DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

/** Options of {@linkcode ProducerChannel}. */
export interface ProducerChannelOptions {
  /** Where channel events are logged. */
  readonly log: Logger;
  /** Where outcomes go, when results are wanted. */
  readonly results: ResultWaiters | undefined;
  /** Called with each new channel, to send on it what is not yet confirmed. */
  readonly onOpen: (channel: ConfirmChannel) => void;
  /** The largest body the channel's publisher sends (the producer checked its own limit). */
  readonly maxBodyBytes: number;
}

/** The producer's channel; see the module documentation. */
export class ProducerChannel {
  readonly #options: ProducerChannelOptions;
  readonly #channel = new Slot<ConfirmChannel>();
  readonly #drained = new Gate(true);
  #link: Link | undefined;
  #nacksInRow = 0;

  /** A channel that opens on each link given to {@linkcode ProducerChannel.open}. */
  constructor(options: ProducerChannelOptions) {
    this.#options = options;
  }

  /** The open channel, if there is one. */
  get current(): ConfirmChannel | undefined {
    return this.#channel.current;
  }

  /** The link of the open channel, if there is one. */
  get link(): Link | undefined {
    return this.#channel.current ? this.#link : undefined;
  }

  /** Whether publishers must wait for the write buffer to drain. */
  get draining(): boolean {
    return !this.#drained.isOpen;
  }

  /** Nacks since the current channel's last confirm. */
  get nacksInRow(): number {
    return this.#nacksInRow;
  }

  /** Opens a confirm channel on `link` and hands it to `onOpen`. */
  async open(link: Link): Promise<void> {
    const channel = await link.confirmChannel();
    // Its publisher hears the channel's returns from now on.
    new ConfirmedPublisher(channel, { maxBodyBytes: this.#options.maxBodyBytes });
    channel.on("close", () => {
      if (this.#channel.current === channel) this.#gone();
    });
    const { results } = this.#options;
    if (results) {
      await channel.consume(DIRECT_REPLY_TO, (reply) => reply && results.onReply(reply), {
        noAck: true,
      });
    }
    this.#link = link;
    this.#nacksInRow = 0;
    this.#channel.set(channel);
    this.#options.onOpen(channel);
  }

  /** The open channel, or the next one within `timeoutMs`. */
  next(timeoutMs: number): Promise<ConfirmChannel> {
    const channel = this.#channel.current;
    if (channel) return Promise.resolve(channel);
    return withTimeout(
      this.#channel.get(),
      timeoutMs,
      () => new Error(`not connected to RabbitMQ after waiting ${timeoutMs} ms`),
    );
  }

  /** Resolves when publishers may write again. */
  waitForDrain(): Promise<void> {
    return this.#drained.wait();
  }

  /**
   * Publishes `body` on `channel` to `route` (the work queue through the default exchange, or
   * a delay level) through the channel's `ConfirmedPublisher` (mandatory, sizes checked);
   * `onConfirm` hears nothing when the broker confirmed it, or the failure. A full write buffer
   * makes later publishers wait for `drain`.
   */
  publish(
    channel: ConfirmChannel,
    route: { readonly exchange: string; readonly routingKey: string },
    message: { readonly body: Parameters<ConfirmChannel["publish"]>[2] },
    properties: Parameters<ConfirmChannel["publish"]>[3],
    onConfirm: (failure?: PublishError) => void,
  ): void {
    const ok = ConfirmedPublisher.of(channel).send(
      route,
      message.body,
      properties ?? {},
      onConfirm,
    );
    if (!ok && this.#drained.isOpen) {
      this.#drained.shut();
      channel.once("drain", () => this.#drained.open());
    }
  }

  /** Counts a confirm (`nacked` false) or a nack of the current channel; returns the nacks in a row. */
  count(channel: ConfirmChannel, nacked: boolean): number {
    if (channel === this.#channel.current) this.#nacksInRow = nacked ? this.#nacksInRow + 1 : 0;
    return this.#nacksInRow;
  }

  /**
   * Replaces `channel` by a new one on the same link; what it had not confirmed is sent on the
   * new one. If that fails, the connection starts over and the next link takes over.
   */
  async renew(channel: ConfirmChannel, reason: Record<string, unknown>): Promise<void> {
    const link = this.#link;
    if (this.#channel.current !== channel || link === undefined || !link.live) return;
    this.#options.log.warn("publish.new_channel", { ...reason, nacks: this.#nacksInRow });
    this.#gone();
    await link.closeChannel(channel);
    try {
      await this.open(link);
    } catch (err) {
      link.restart(`could not open a new publish channel: ${describeError(err)}`);
    }
  }

  /** No channel any more, for good: waiters reject with `err`. */
  fail(err: Error): void {
    this.#channel.fail(err);
    this.#drained.open();
  }

  /** Forgets the current channel: publishes wait for the next one. */
  #gone(): void {
    this.#channel.clear();
    this.#drained.open();
  }
}
