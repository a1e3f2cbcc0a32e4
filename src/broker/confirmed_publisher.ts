/**
 * {@linkcode ConfirmedPublisher}: the one way Warren publishes a message that must not be lost.
 * Every publish goes out `mandatory` on a confirm channel and ends in exactly one way: confirmed,
 * or a {@linkcode PublishError} that says why not:
 *
 * | what happened                                              | reason       |
 * | ---------------------------------------------------------- | ------------ |
 * | body over `maxBodyBytes`, headers over `maxHeaderBytes`    | `too-large`  |
 * | a property amqplib cannot encode (a string over 255 bytes) | `invalid`    |
 * | the channel is closed, or closes before the broker answers | `closed`     |
 * | the broker returned it (`basic.return`: no queue took it)  | `unroutable` |
 * | the broker nacked it                                       | `nacked`     |
 *
 * The sizes are checked before anything is sent, so a message too large never reaches amqplib's
 * encoder (which throws past 64 KiB of headers) or the broker (which closes the channel past
 * its `max_message_size`). Nothing here throws: a publish on a dead channel is a rejection.
 *
 * The broker sends a message's `basic.return` before its confirm; a return is matched to the
 * oldest unconfirmed publish with the same exchange, routing key, message id and correlation id.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import type { ConfirmChannel, Message, Options } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import { PublishError } from "../errors/publish_error.ts";
import { headerTableBytes, MAX_HEADER_BYTES, utf8Bytes } from "../util/bounds.ts";
import type { ChannelOptions, Link } from "./link.ts";

/**
 * The largest body a {@linkcode ConfirmedPublisher} sends by default: 16 MiB, RabbitMQ 4's
 * default `max_message_size` (3.x allows 128 MiB).
 */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Where a message goes: an exchange and a routing key (`""` and a queue name: that queue). */
export interface PublishRoute {
  /** The exchange (`""`: the default exchange). */
  readonly exchange: string;
  /** The routing key (through the default exchange: the queue's name). */
  readonly routingKey: string;
}

/** Options of {@linkcode ConfirmedPublisher}. */
export interface ConfirmedPublisherOptions {
  /**
   * The largest body sent, in bytes; a larger one is refused with reason `too-large`.
   * @default {DEFAULT_MAX_BODY_BYTES}
   */
  maxBodyBytes?: number;
  /**
   * The largest header table sent, in bytes as amqplib encodes it; a larger one is refused with
   * reason `too-large`.
   * @default {MAX_HEADER_BYTES}
   */
  maxHeaderBytes?: number;
}

/** The AMQP properties that are short strings (at most 255 bytes each). */
const SHORT_STRINGS = [
  "contentType",
  "contentEncoding",
  "correlationId",
  "replyTo",
  "expiration",
  "messageId",
  "type",
  "userId",
  "appId",
] as const;

/**
 * What makes a message unpublishable, before it is sent: `undefined` when it may go, or the
 * failure's reason and a sentence. A pure check, also used by those who want to know up front.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Buffer } from "node:buffer";
 * import { checkPublishable } from "./confirmed_publisher.ts";
 *
 * const body = Buffer.from("{}");
 * assertEquals(checkPublishable(body, { headers: { a: "b" } }), undefined);
 * assertEquals(checkPublishable(body, { headers: { a: "e".repeat(70_000) } })?.reason, "too-large");
 * ```
 */
export function checkPublishable(
  body: Uint8Array,
  properties: Options.Publish,
  options: ConfirmedPublisherOptions = {},
): { readonly reason: "too-large" | "invalid"; readonly message: string } | undefined {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (body.length > maxBody) {
    return {
      reason: "too-large",
      message: `its body is ${body.length} bytes, over the limit of ${maxBody}`,
    };
  }
  const maxHeaders = options.maxHeaderBytes ?? MAX_HEADER_BYTES;
  const headers = properties.headers as Record<string, unknown> | undefined;
  if (headers !== undefined) {
    const size = headerTableBytes(headers, maxHeaders);
    if (size > maxHeaders) {
      return {
        reason: "too-large",
        message: `its headers take over ${maxHeaders} bytes (amqplib encodes at most 64 KiB)`,
      };
    }
  }
  const props = properties as Record<string, unknown>;
  for (const name of SHORT_STRINGS) {
    const value = props[name];
    if (typeof value === "string" && utf8Bytes(value) > 255) {
      return {
        reason: "invalid",
        message: `its property '${name}' is ${utf8Bytes(value)} bytes, over AMQP's 255`,
      };
    }
  }
  return undefined;
}

/** A publish not yet confirmed. */
interface Unconfirmed {
  readonly key: string;
  returned: boolean;
}

/** The key that matches a returned message to its publish. */
function returnKey(
  exchange: string,
  routingKey: string,
  properties: { messageId?: unknown; correlationId?: unknown },
): string {
  const id = typeof properties.messageId === "string" ? properties.messageId : "";
  const correlation = typeof properties.correlationId === "string" ? properties.correlationId : "";
  return `${exchange}\u0000${routingKey}\u0000${id}\u0000${correlation}`;
}

/** The id a {@linkcode PublishError} names: the message id, else the correlation id. */
function idOf(properties: Options.Publish): string {
  const id = properties.messageId ?? properties.correlationId;
  return typeof id === "string" ? id : "";
}

/** What a failed publish went to, for its error's text. */
function where(route: PublishRoute): string {
  return route.exchange === ""
    ? `queue '${route.routingKey}'`
    : `exchange '${route.exchange}' (routing key '${route.routingKey}')`;
}

/** The publisher of each channel that has one. */
const publishers = new WeakMap<ConfirmChannel, ConfirmedPublisher>();

/**
 * Publishes on one confirm channel; see the module documentation.
 *
 * @example Publish a message and wait for the broker's confirm
 * ```ts ignore
 * import { Buffer } from "node:buffer";
 * import { ConfirmedPublisher } from "./confirmed_publisher.ts";
 * import type { Link } from "./link.ts";
 *
 * declare const link: Link;
 * const publisher = await ConfirmedPublisher.open(link);
 * await publisher.publish("task_queue", Buffer.from('{"task":"sum"}'), { persistent: true });
 * // rejects with PublishError: reason "unroutable" if no queue took it, "too-large", …
 * ```
 */
export class ConfirmedPublisher {
  /** The confirm channel it publishes on. */
  readonly channel: ConfirmChannel;
  readonly #options: ConfirmedPublisherOptions;
  readonly #unconfirmed: Unconfirmed[] = [];
  #closed = false;

  /**
   * A publisher on `channel` (a confirm channel, which it listens to for returns and its close).
   * Give every publish on the channel to it: returns are matched to its publishes only.
   */
  constructor(channel: ConfirmChannel, options: ConfirmedPublisherOptions = {}) {
    this.channel = channel;
    this.#options = options;
    publishers.set(channel, this);
    channel.on("return", (message: Message) => this.#onReturn(message));
    channel.on("close", () => {
      this.#closed = true;
    });
  }

  /**
   * The publisher of `channel`: the one made for it before, or a new one. For code that holds a
   * bare channel; every publish on a channel must go through the same publisher.
   */
  static of(channel: ConfirmChannel): ConfirmedPublisher {
    let publisher = publishers.get(channel);
    if (!publisher) {
      publisher = new ConfirmedPublisher(channel);
      publishers.set(channel, publisher);
    }
    return publisher;
  }

  /** Opens a confirm channel on `link` (with its channel policy) and a publisher on it. */
  static async open(
    link: Link,
    options: ConfirmedPublisherOptions & Pick<ChannelOptions, "onClose"> = {},
  ): Promise<ConfirmedPublisher> {
    const { onClose, ...limits } = options;
    const channel = await link.confirmChannel(onClose === undefined ? {} : { onClose });
    return new ConfirmedPublisher(channel, limits);
  }

  /** Whether its channel has closed: every publish from now on fails with reason `closed`. */
  get closed(): boolean {
    return this.#closed;
  }

  /** How many publishes wait for the broker's answer. */
  get pending(): number {
    return this.#unconfirmed.length;
  }

  /**
   * Publishes `body` to `to` (a queue, through the default exchange, or a route), `mandatory`;
   * resolves when the broker confirmed it, rejects with a {@linkcode PublishError} otherwise.
   */
  publish(
    to: string | PublishRoute,
    body: Buffer,
    properties: Options.Publish,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.send(to, body, properties, (failure) => failure ? reject(failure) : resolve());
    });
  }

  /**
   * {@linkcode ConfirmedPublisher.publish} with a callback, for those who keep a window of
   * publishes: `done` is called once (never synchronously), with nothing when confirmed or with
   * the failure. Returns `false` when the channel's write buffer is full: wait for its `drain`
   * before sending more.
   */
  send(
    to: string | PublishRoute,
    body: Buffer,
    properties: Options.Publish,
    done: (failure?: PublishError) => void,
  ): boolean {
    const route = typeof to === "string" ? { exchange: "", routingKey: to } : to;
    const id = idOf(properties);
    const fail = (reason: PublishError["reason"], message: string, cause?: unknown) => {
      queueMicrotask(() =>
        done(
          new PublishError(
            reason,
            id,
            `Cannot publish${id ? ` message ${id}` : ""} to ${where(route)}: ${message}`,
            cause === undefined ? undefined : { cause },
          ),
        )
      );
      return true; // nothing written: nothing to wait for
    };
    const unfit = checkPublishable(body, properties, this.#options);
    if (unfit) return fail(unfit.reason, unfit.message);
    if (this.#closed) return fail("closed", "its channel is closed");
    const entry: Unconfirmed = {
      key: returnKey(route.exchange, route.routingKey, properties),
      returned: false,
    };
    const callback = (err: unknown) => {
      const at = this.#unconfirmed.indexOf(entry);
      if (at >= 0) this.#unconfirmed.splice(at, 1);
      if (err) {
        const closed = err instanceof Error && err.message === "channel closed";
        done(
          new PublishError(
            closed ? "closed" : "nacked",
            id,
            closed
              ? `The channel closed before the broker confirmed${
                id ? ` message ${id}` : " a message"
              } to ${where(route)}`
              : `The broker refused${id ? ` message ${id}` : " a message"} to ${
                where(route)
              }: the queue may be full or the broker out of resources`,
            { cause: err },
          ),
        );
      } else if (entry.returned) {
        done(
          new PublishError(
            "unroutable",
            id,
            `${id ? `Message ${id}` : "A message"} to ${
              where(route)
            } reached no queue: does the queue exist (was it deleted)?`,
          ),
        );
      } else {
        done();
      }
    };
    this.#unconfirmed.push(entry);
    try {
      return this.channel.publish(
        route.exchange,
        route.routingKey,
        body,
        { ...properties, mandatory: true },
        callback,
      );
    } catch (err) {
      // Encoding refused (nothing was sent), or the channel is closing under us.
      const at = this.#unconfirmed.indexOf(entry);
      if (at >= 0) this.#unconfirmed.splice(at, 1);
      const closing = this.#closed || (err instanceof Error &&
        (err.name === "IllegalOperationError" || /clos/i.test(err.message)));
      if (closing) return fail("closed", describeError(err), err);
      return fail(err instanceof RangeError ? "too-large" : "invalid", describeError(err), err);
    }
  }

  #onReturn(message: Message): void {
    const { exchange, routingKey } = message.fields;
    const key = returnKey(exchange, routingKey, message.properties);
    const entry = this.#unconfirmed.find((e) => e.key === key && !e.returned);
    if (entry) entry.returned = true;
  }
}
