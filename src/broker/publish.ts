/**
 * Publishing one message on a confirm channel and waiting for the broker's confirm.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import type { ConfirmChannel, Options } from "../deps/amqplib.ts";

/** Publishes to `queue` through the default exchange; resolves when the broker confirmed it. */
export function publishConfirmed(
  channel: ConfirmChannel,
  queue: string,
  body: Buffer,
  properties: Options.Publish,
): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish("", queue, body, properties, (err: unknown) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve();
    });
  });
}
