/**
 * Deleting the demo's queues, so that each run starts clean.
 *
 * @module
 */
import amqp from "amqplib";
import type { Broker } from "./broker.ts";

/** Deletes `queues` (absent ones too); returns their names, in order. */
export async function deleteQueues(broker: Broker, queues: Iterable<string>): Promise<string[]> {
  const connection = await amqp.connect(broker.url, { timeout: 5_000 });
  connection.on("error", () => {});
  try {
    const channel = await connection.createChannel();
    const deleted: string[] = [];
    for (const queue of queues) {
      await channel.deleteQueue(queue);
      deleted.push(queue);
    }
    return deleted;
  } finally {
    await connection.close();
  }
}
