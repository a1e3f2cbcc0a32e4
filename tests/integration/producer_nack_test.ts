import { assert, assertEquals, assertRejects } from "@std/assert";
import { catalog } from "../../tasks/mod.ts";
import { PublishError } from "../../src/errors/publish_error.ts";
import { createLogger } from "../../src/util/logger.ts";
import { NACKS_BEFORE_NEW_CHANNEL, Producer } from "../../src/producer/producer.ts";
import type { QueueType } from "../../src/broker/topology.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { until } from "../_helpers/probe.ts";

/** A queue that holds one message and nacks publishes beyond it (x-overflow reject-publish). */
async function tinyQueue(type: QueueType = "classic"): Promise<
  { queue: string; client: Awaited<ReturnType<typeof rawClient>> }
> {
  const queue = uniqueQueue("warren_nack");
  const client = await rawClient();
  client.track(queue);
  await client.channel.assertQueue(queue, {
    durable: true,
    arguments: { "x-max-length": 1, "x-overflow": "reject-publish", "x-queue-type": type },
  });
  return { queue, client };
}

Deno.test("enqueue() sends a nacked publish again until the broker takes it", async () => {
  const { queue, client } = await tinyQueue();
  await using _client = client;
  const lines: string[] = [];
  const logger = createLogger({ format: "json", level: "warn", write: (l) => lines.push(l) });
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue, logger });
  try {
    const first = await producer.enqueue("sum", { start: 1, end: 2 });
    // The queue is full: the second publish is nacked, then sent again after 250 ms, 500 ms, ...
    const second = producer.enqueue("sum", { start: 1, end: 3 });
    await until(() => lines.some((l) => l.includes('"publish.nacked"')), "a nack");
    const taken = await client.channel.get(queue, { noAck: true });
    assertEquals(taken && taken.properties.messageId, first.id);
    const receipt = await second;
    await until(async () => (await client.channel.checkQueue(queue)).messageCount === 1, "1 left");
    const left = await client.channel.get(queue, { noAck: true });
    assertEquals(left && left.properties.messageId, receipt.id);
  } finally {
    await producer.close();
  }
});

Deno.test("enqueue() fails with 'nacked' once its nack retries are used up", async () => {
  const { queue, client } = await tinyQueue();
  await using _client = client;
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue, nackRetries: 1 });
  try {
    await producer.enqueue("sum", { start: 1, end: 2 });
    const err = await assertRejects(
      () => producer.enqueue("sum", { start: 1, end: 3 }),
      PublishError,
    );
    assertEquals(err.reason, "nacked");
  } finally {
    await producer.close();
  }
});

Deno.test("on a quorum queue, nacks in a row move the producer to a new channel", async () => {
  const { queue, client } = await tinyQueue("quorum");
  await using _client = client;
  const lines: string[] = [];
  const logger = createLogger({ format: "json", level: "warn", write: (l) => lines.push(l) });
  const producer = await Producer.connect(catalog, {
    url: TEST_URL,
    queue,
    queueType: "quorum",
    logger,
  });
  try {
    // A quorum queue's limit is soft: it takes a second message, then nacks.
    const first = await producer.enqueue("sum", { start: 1, end: 2 });
    await producer.enqueue("sum", { start: 1, end: 3 });
    // Nacked at once, after 250 ms and after 500 ms: then sent again on a new channel.
    const third = producer.enqueue("sum", { start: 1, end: 4 });
    third.catch(() => {}); // awaited below; a failed assertion before that must not leave it
    const renewed = () => lines.findIndex((l) => l.includes('"publish.new_channel"'));
    await until(() => renewed() >= 0, "a new channel");
    const nacks = lines.slice(0, renewed()).filter((l) => l.includes('"publish.nacked"'));
    assertEquals(nacks.length, NACKS_BEFORE_NEW_CHANNEL, lines.join("\n"));
    const taken = await client.channel.get(queue, { noAck: true });
    assertEquals(taken && taken.properties.messageId, first.id);
    const receipt = await third;
    await client.channel.get(queue, { noAck: true });
    const left = await client.channel.get(queue, { noAck: true });
    assertEquals(left && left.properties.messageId, receipt.id);
    assertEquals((await client.channel.checkQueue(queue)).messageCount, 0, "no duplicate");
    assert(!lines.some((l) => l.includes('"connection.lost"')), "the connection stayed up");
  } finally {
    await producer.close();
  }
});
