/**
 * Publishing one message on a confirm channel and waiting for the broker's confirm, for code that
 * holds a bare channel: the channel's {@linkcode ConfirmedPublisher} (mandatory, returns handled,
 * sizes checked) does it.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import type { ConfirmChannel, Options } from "../deps/amqplib.ts";
import { ConfirmedPublisher } from "./confirmed_publisher.ts";

/**
 * Publishes to `queue` through the default exchange; resolves when the broker confirmed it, and
 * rejects with a `PublishError` otherwise (see {@linkcode ConfirmedPublisher}).
 */
export function publishConfirmed(
  channel: ConfirmChannel,
  queue: string,
  body: Buffer,
  properties: Options.Publish,
): Promise<void> {
  return ConfirmedPublisher.of(channel).publish(queue, body, properties);
}
