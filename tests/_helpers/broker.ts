/**
 * The shared test broker: its URL, unique queue names, a raw amqplib client, and clean-up of
 * every queue a test declared.
 *
 * @module
 */
import amqp, { type Channel, type ChannelModel } from "amqplib";
import { DELAY_LEVELS } from "../../src/wire/delays.ts";

/** The broker the integration tests use (the README's default). */
export const TEST_URL = "amqp://localhost:5672";

/** A queue name no other test uses. */
export function uniqueQueue(prefix = "warren_test"): string {
  return `${prefix}_${crypto.randomUUID().slice(0, 8)}`;
}

/** A raw amqplib connection and channel, standing in for a plain client. */
export interface RawClient extends AsyncDisposable {
  /** The connection. */
  readonly connection: ChannelModel;
  /** A channel on it. */
  readonly channel: Channel;
  /**
   * Deletes these work queues when the client is disposed, with what Warren derives from each:
   * its `.dead`, `.schedules` and `.scheduler.wake` queues, its `.events` and `.control` streams, and its delay
   * levels (queues and exchanges).
   */
  track(...queues: string[]): void;
}

/** Opens a raw client; disposing it deletes the tracked queues and closes the connection. */
export async function rawClient(url = TEST_URL): Promise<RawClient> {
  const connection = await amqp.connect(url);
  connection.on("error", () => {});
  const channel = await connection.createChannel();
  channel.on("error", () => {});
  const tracked = new Set<string>();
  return {
    connection,
    channel,
    track: (...queues) => {
      for (const queue of queues) tracked.add(queue);
    },
    async [Symbol.asyncDispose]() {
      const cleaner = await connection.createChannel();
      cleaner.on("error", () => {});
      for (const queue of tracked) {
        for (
          const name of [
            queue,
            `${queue}.dead`,
            `${queue}.schedules`,
            `${queue}.scheduler.wake`,
            `${queue}.events`,
            `${queue}.control`,
            `${queue}.join`,
          ]
        ) {
          await cleaner.deleteQueue(name);
        }
        for (let k = 0; k < DELAY_LEVELS; k++) {
          await cleaner.deleteQueue(`${queue}.wait.${k}`);
          await cleaner.deleteQueue(`${queue}.delay.${k}`);
          await cleaner.deleteExchange(`${queue}.delay.${k}`);
        }
      }
      await connection.close();
    },
  };
}

/** The version the broker at `url` announces (`"3.10.8"`, `"4.3.6"`). */
export async function brokerVersion(url = TEST_URL): Promise<string> {
  const connection = await amqp.connect(url);
  try {
    return String(connection.connection.serverProperties.version);
  } finally {
    await connection.close();
  }
}

/** The message count of `queue`, by a passive declare. */
export async function messageCount(client: RawClient, queue: string): Promise<number> {
  const channel = await client.connection.createChannel();
  channel.on("error", () => {});
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await channel.close().catch(() => {});
  }
}
