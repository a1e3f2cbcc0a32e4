/**
 * How a leader publishes: one message at a time to a queue, `mandatory` and confirmed, on its
 * own confirm channel. A message the broker returns (no queue of that name) rejects with a
 * `PublishError` of reason `unroutable`; a nack, with `nacked`; a channel that closes first, with
 * `closed`.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import type { Link } from "../broker/link.ts";
import type { ConfirmChannel, Options } from "../deps/amqplib.ts";
import { PublishError } from "../errors/publish_error.ts";

/** Publishes `body` to `queue`; resolves once confirmed, rejects with a `PublishError`. */
export type PublishFn = (queue: string, body: Buffer, properties: Options.Publish) => Promise<void>;

/** A leader's publisher: {@linkcode PublishFn} and its channel. */
export class LeaderPublisher {
  readonly #link: Link;
  readonly #channel: ConfirmChannel;
  #returned = false;
  #closed = false;
  #current: ((err: PublishError) => void) | undefined;
  #last: Promise<unknown> = Promise.resolve();

  private constructor(link: Link, channel: ConfirmChannel) {
    this.#link = link;
    this.#channel = channel;
    channel.on("return", () => this.#returned = true);
    channel.on("close", () => {
      this.#closed = true;
      this.#current?.(new PublishError("closed", "", "the channel closed before the confirm"));
    });
  }

  /** Opens a confirm channel on `link`. */
  static async open(link: Link): Promise<LeaderPublisher> {
    return new LeaderPublisher(link, await link.confirmChannel({ onClose: "ignore" }));
  }

  /** {@linkcode PublishFn}: publishes one message after the previous one is settled. */
  readonly publish: PublishFn = (queue, body, properties) => {
    const next = this.#last.then(() => this.#publishOne(queue, body, properties));
    this.#last = next.catch(() => {});
    return next;
  };

  #publishOne(queue: string, body: Buffer, properties: Options.Publish): Promise<void> {
    const id = String(properties.messageId ?? properties.type ?? queue);
    if (this.#closed) {
      return Promise.reject(
        new PublishError("closed", id, `Cannot publish to '${queue}': the channel is closed`),
      );
    }
    this.#returned = false;
    return new Promise<void>((resolve, reject) => {
      this.#current = reject;
      this.#channel.publish("", queue, body, { ...properties, mandatory: true }, (err: unknown) => {
        this.#current = undefined;
        if (err) {
          reject(new PublishError("nacked", id, `The broker nacked ${id} for '${queue}'`));
        } else if (this.#returned) {
          reject(
            new PublishError(
              "unroutable",
              id,
              `The broker returned ${id}: no queue '${queue}' (it was deleted?)`,
            ),
          );
        } else resolve();
      });
    });
  }

  /** Closes the channel. Never rejects. */
  async close(): Promise<void> {
    await this.#link.closeChannel(this.#channel);
  }
}
