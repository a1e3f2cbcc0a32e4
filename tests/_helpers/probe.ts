/**
 * Looking at the broker and waiting for conditions in integration tests: poll with a deadline,
 * read a queue's depth (or learn that it does not exist), and take every message out of a queue.
 *
 * @module
 */
import type { GetMessage } from "amqplib";
import type { RawClient } from "./broker.ts";

/**
 * Resolves once `check` holds, polling every `intervalMs`; rejects after `timeoutMs` with `what`
 * in the message. For conditions that span several processes, where no single event stream
 * says when to look again.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Waiting for ${what}: ${timeoutMs} ms passed`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The ready messages of `queue` by a passive declare, or `undefined` when it does not exist. */
export async function queueDepth(client: RawClient, queue: string): Promise<number | undefined> {
  const channel = await client.connection.createChannel();
  channel.on("error", () => {});
  try {
    return (await channel.checkQueue(queue)).messageCount;
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return undefined;
    throw err;
  } finally {
    await channel.close().catch(() => {});
  }
}

/** Takes every ready message out of `queue` (acknowledged on delivery), in queue order. */
export async function drainQueue(client: RawClient, queue: string): Promise<GetMessage[]> {
  const messages: GetMessage[] = [];
  for (;;) {
    const message = await client.channel.get(queue, { noAck: true });
    if (message === false) return messages;
    messages.push(message);
  }
}

/** A string header of a message, or a failure naming the header when it is absent. */
export function stringHeader(message: Pick<GetMessage, "properties">, name: string): string {
  const value: unknown = message.properties.headers?.[name];
  if (typeof value !== "string") {
    throw new Error(
      `header ${name} should be a string, got ${JSON.stringify(value)} in ${
        JSON.stringify(message.properties.headers)
      }`,
    );
  }
  return value;
}
