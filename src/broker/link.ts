/**
 * {@linkcode Link}: one AMQP connection of a `BrokerConnection`, and the channel policy. Every
 * channel is opened through a link. A channel that carries deliveries or publishes restarts
 * the connection when the broker closes it under a live link (the broker requeues its
 * deliveries, and none of them may be acknowledged on another channel); a helper channel's
 * errors only reject the operation that caused them.
 *
 * @module
 */
import type { Channel, ChannelModel, ConfirmChannel, Message } from "../deps/amqplib.ts";
import { finishesWithin } from "../util/deadline.ts";
import type { Logger } from "../util/logger.ts";

/**
 * How long a channel's close waits for the broker's answer. A channel whose broker-side process
 * waits on a queue that does not answer (a quorum queue without a leader) never answers.
 */
const CHANNEL_CLOSE_TIMEOUT_MS = 5_000;

/** Options of {@linkcode Link.channel} and {@linkcode Link.confirmChannel}. */
export interface ChannelOptions {
  /**
   * Hears each message the broker returns as unroutable (publishes with `mandatory`).
   * @default {none}
   */
  onReturn?: (message: Message) => void;
  /**
   * What a close that Warren did not ask for means. `restart`: the channel carried deliveries
   * or publishes that must not go on elsewhere, so the connection starts over (the broker
   * requeues the deliveries); its errors are logged. `ignore`: a helper channel whose errors
   * reject the operation that caused them (a passive declare of a missing queue, say).
   * @default {"restart"}
   */
  onClose?: "restart" | "ignore";
}

/**
 * One AMQP connection of a `BrokerConnection`: its generation (1 for the first) and
 * the channels opened on it.
 */
export class Link {
  /** Which connection this is, counting from 1. */
  readonly generation: number;
  /** The broker URL it connected to (with its password). */
  readonly url: string;
  /** The broker's version, as it announced it (`"3.10.8"`, `"4.0.5"`). */
  readonly serverVersion: string;
  readonly #model: ChannelModel;
  readonly #restart: (reason: string) => void;
  readonly #isLive: (link: Link) => boolean;
  readonly #log: Logger;
  readonly #closedOnPurpose = new WeakSet<Channel>();

  /** Made by `BrokerConnection` for each connection it makes. */
  constructor(
    model: ChannelModel,
    details: { generation: number; url: string; log: Logger },
    owner: { restart(reason: string): void; isLive(link: Link): boolean },
  ) {
    this.#model = model;
    this.generation = details.generation;
    this.url = details.url;
    this.#log = details.log;
    this.#restart = owner.restart;
    this.#isLive = owner.isLive;
    const version: unknown = model.connection.serverProperties?.version;
    this.serverVersion = typeof version === "string" ? version : "unknown";
  }

  /** Whether this is its connection's current link. */
  get live(): boolean {
    return this.#isLive(this);
  }

  /** Opens a channel with the channel policy of `options`. */
  async channel(options: ChannelOptions = {}): Promise<Channel> {
    return this.#watch(await this.#model.createChannel(), options);
  }

  /** Opens a confirm channel with the channel policy of `options`. */
  async confirmChannel(options: ChannelOptions = {}): Promise<ConfirmChannel> {
    return this.#watch(await this.#model.createConfirmChannel(), options);
  }

  /**
   * Starts the connection over on a new link, if this one is still the live one: logs
   * `connection.restart` with `reason`; the broker requeues the link's unacknowledged deliveries.
   */
  restart(reason: string): void {
    this.#restart(reason);
  }

  /**
   * Closes `channel` on purpose: it restarts nothing, unless the broker does not answer the close
   * within 5 s (then the connection starts over, which ends the channel). Never rejects.
   */
  async closeChannel(channel: Channel): Promise<void> {
    this.#closedOnPurpose.add(channel);
    const closed = await finishesWithin(channel.close(), CHANNEL_CLOSE_TIMEOUT_MS);
    if (!closed) {
      this.restart(
        `RabbitMQ did not answer a channel's close within ${CHANNEL_CLOSE_TIMEOUT_MS} ms`,
      );
    }
  }

  #watch<C extends Channel>(channel: C, options: ChannelOptions): C {
    const restart = (options.onClose ?? "restart") === "restart";
    channel.on("error", (err: Error) => {
      if (restart) this.#log.warn("channel.error", { error: err.message });
    });
    if (options.onReturn) channel.on("return", options.onReturn);
    channel.on("close", () => {
      if (!restart || this.#closedOnPurpose.has(channel) || !this.live) return;
      this.#restart("a channel closed under a live connection");
    });
    return channel;
  }
}
