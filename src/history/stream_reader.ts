/**
 * Reading a RabbitMQ stream over AMQP 0-9-1 ({@linkcode StreamReader}): a consumer with a
 * prefetch, manual acks (batched) and `x-stream-offset`, from a time, an offset or the start.
 *
 * A stream has no "end" that an AMQP 0-9-1 consumer is told of, so a reader that must know when
 * it has read everything there was (a lookup; a worker reading the cancels before it takes
 * tasks) appends a marker as it starts, a small message of type `warren.marker` with a fresh
 * id, and has caught up when it reads that marker back. Markers are skipped by every reader.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Link } from "../broker/link.ts";
import { publishConfirmed } from "../broker/publish.ts";
import type { Channel, ConsumeMessage } from "../deps/amqplib.ts";
import { MissingQueueError } from "../errors/missing_queue_error.ts";
import { describeError } from "../errors/describe.ts";
import { newTaskId } from "../wire/task_id.ts";
import { MARKER_TYPE } from "../wire/events.ts";

/** Where to start reading: the stream's first message, a time, or an offset. */
export type StreamStart = "first" | Date | { readonly offset: number };

/** Options of {@linkcode StreamReader.open}. */
export interface StreamReaderOptions {
  /**
   * Where to start.
   * @default {"first"}
   */
  from?: StreamStart;
  /**
   * Messages delivered and not yet acknowledged.
   * @default {1000}
   */
  prefetch?: number;
  /**
   * Append a marker as reading starts, so that {@linkcode StreamReader.caughtUp} says when
   * everything that was in the stream then has been read.
   * @default {true}
   */
  mark?: boolean;
  /** Said when the stream does not exist. */
  missingHint?: string;
}

/** Turns a start into the value of `x-stream-offset`. */
function offsetArgument(from: StreamStart): unknown {
  if (from === "first") return from;
  if (from instanceof Date) {
    return { "!": "timestamp", value: Math.max(0, Math.floor(from.getTime() / 1000)) };
  }
  return { "!": "long", value: from.offset };
}

/** Appends a marker to `stream`; resolves to its id once the broker confirmed it. */
async function appendMarker(
  link: Link,
  stream: string,
  nonce: string = newTaskId(),
): Promise<string> {
  const channel = await link.confirmChannel({ onClose: "ignore" });
  try {
    await publishConfirmed(channel, stream, Buffer.alloc(0), {
      type: MARKER_TYPE,
      messageId: nonce,
    });
  } finally {
    await link.closeChannel(channel);
  }
  return nonce;
}

/** Reads one stream, message by message, until stopped. */
export class StreamReader {
  readonly #link: Link;
  readonly #channel: Channel;
  readonly #caughtUp = Promise.withResolvers<void>();
  readonly #ended = Promise.withResolvers<void>();
  #nonce: string | undefined;
  #tag: string | undefined;
  #unacked = 0;
  #stopped = false;

  private constructor(link: Link, channel: Channel) {
    this.#link = link;
    this.#channel = channel;
    this.#caughtUp.promise.catch(() => {});
    this.#ended.promise.catch(() => {});
  }

  /**
   * Starts reading `stream`: `onMessage` gets each message but markers, in order, with its
   * offset. Rejects with a `MissingQueueError` when the stream does not exist.
   */
  static async open(
    link: Link,
    stream: string,
    onMessage: (message: ConsumeMessage, offset: number) => void,
    options: StreamReaderOptions = {},
  ): Promise<StreamReader> {
    const prefetch = options.prefetch ?? 1000;
    const channel = await link.channel({ onClose: "ignore" });
    const reader = new StreamReader(link, channel);
    channel.on("close", () => reader.#closed());
    try {
      await channel.checkQueue(stream);
      await channel.prefetch(prefetch);
      const { consumerTag } = await channel.consume(stream, (message) => {
        // null: the broker cancelled the consumer (the stream was deleted)
        if (message) reader.#take(message, prefetch, onMessage);
        else reader.#closed();
      }, {
        noAck: false,
        arguments: { "x-stream-offset": offsetArgument(options.from ?? "first") },
      });
      reader.#tag = consumerTag;
    } catch (err) {
      await link.closeChannel(channel);
      if (/NOT_FOUND|404/.test(describeError(err))) {
        throw new MissingQueueError(
          stream,
          options.missingHint ?? "start a producer or worker with history on to declare it",
          { cause: err },
        );
      }
      throw err;
    }
    // The marker goes after the consumer started: the reader follows the stream, so it meets the
    // marker wherever it lands. It is not awaited here, as a broker that blocks publishes (a
    // memory alarm) would hold the reader's start until it lifts.
    if (options.mark ?? true) {
      const nonce = reader.#nonce = newTaskId();
      appendMarker(link, stream, nonce).catch((err) => reader.#caughtUp.reject(err));
    } else {
      reader.#caughtUp.resolve();
    }
    return reader;
  }

  /**
   * Resolves when the marker appended at the start has been read (at once without one);
   * rejects when it could not be appended.
   */
  get caughtUp(): Promise<void> {
    return this.#caughtUp.promise;
  }

  /** Resolves when the reader stops; rejects if its channel closed under it. */
  get ended(): Promise<void> {
    return this.#ended.promise;
  }

  /** Stops reading and closes the channel. Never rejects. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#caughtUp.reject(new Error("the reader was stopped"));
    this.#ended.resolve();
    if (this.#tag !== undefined) await this.#channel.cancel(this.#tag).catch(() => {});
    await this.#link.closeChannel(this.#channel);
  }

  /**
   * Stops reading without a word to the broker: for a connection about to close (which ends the
   * consumer), and that may not answer (a blocked connection answers nothing).
   */
  abandon(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#caughtUp.reject(new Error("the reader was stopped"));
    this.#ended.resolve();
  }

  #take(
    message: ConsumeMessage,
    prefetch: number,
    onMessage: (message: ConsumeMessage, offset: number) => void,
  ): void {
    if (this.#stopped) return;
    const offset = Number(message.properties.headers?.["x-stream-offset"] ?? -1);
    if (++this.#unacked >= Math.max(1, prefetch >> 1)) {
      this.#channel.ack(message, true);
      this.#unacked = 0;
    }
    if (message.properties.type === MARKER_TYPE) {
      if (message.properties.messageId === this.#nonce) this.#caughtUp.resolve();
      return;
    }
    onMessage(message, offset);
  }

  #closed(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    const err = new Error("the stream's consumer ended (connection lost, or stream deleted?)");
    this.#caughtUp.reject(err);
    this.#ended.reject(err);
  }
}

/** Reads `stream` from `options.from` up to what it held when called; resolves when done. */
export async function readUntilNow(
  link: Link,
  stream: string,
  onMessage: (message: ConsumeMessage, offset: number) => void,
  options: Omit<StreamReaderOptions, "mark"> = {},
): Promise<void> {
  const reader = await StreamReader.open(link, stream, onMessage, options);
  try {
    await reader.caughtUp;
  } finally {
    await reader.stop();
  }
}
