/**
 * What the broker's own limits do to Warren's quorum queues, on RabbitMQ 3.10 and 4.x alike:
 * nothing Warren declared ever loses a message to the delivery limit that RabbitMQ 4 gives
 * quorum queues (20 by default), and Warren's redelivery count comes first.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals } from "@std/assert";
import type { Channel } from "amqplib";
import { queueNames } from "../../src/broker/topology.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { runCli, WorkerProcess } from "../_helpers/cli.ts";
import { drainQueue, queueDepth } from "../_helpers/probe.ts";

/** Takes the one message of `queue` and gives it back with a nack, `times` times. */
async function nackRepeatedly(channel: Channel, queue: string, times: number): Promise<number> {
  let delivered = 0;
  for (let i = 0; i < times; i++) {
    const message = await channel.get(queue, { noAck: false });
    if (message === false) break;
    delivered++;
    channel.nack(message, false, true);
  }
  return delivered;
}

Deno.test("a quorum queue of Warren's loses nothing to the broker's delivery limit", async (t) => {
  const queue = uniqueQueue("warren_quorum_limit");
  const names = queueNames(queue);
  await using client = await rawClient();
  client.track(queue);
  // A worker declares the queues as Warren does, then stops.
  {
    await using worker = new WorkerProcess(["--queue", queue, "--queue-type", "quorum"]);
    await worker.started();
    worker.kill("SIGTERM");
    assertEquals((await worker.exit()).code, 0);
  }

  await t.step(
    "a task given back 25 times is still in Q, or in Q.dead with the reason",
    async () => {
      client.channel.sendToQueue(queue, Buffer.from('{"task":"sum","start":1,"end":2}'), {
        persistent: true,
        messageId: "given-back",
      });
      await client.channel.checkQueue(queue); // the publish has reached the queue
      const delivered = await nackRepeatedly(client.channel, queue, 25);
      const left = await queueDepth(client, queue);
      const dead = await drainQueue(client, names.dead);
      // RabbitMQ 4 gives up after 20 redeliveries and dead-letters it; 3.10 has no default limit.
      assertEquals((left ?? 0) + dead.length, 1, `delivered ${delivered} times`);
      if (dead.length === 1) {
        assertEquals(dead[0]!.properties.messageId, "given-back");
        assertEquals(dead[0]!.properties.headers?.["x-first-death-reason"], "delivery_limit");
        // Put it back as it was, for the next step.
        client.channel.sendToQueue(names.dead, dead[0]!.content, dead[0]!.properties);
      } else {
        assertEquals(delivered, 25);
        const [message] = await drainQueue(client, queue);
        assert(message);
        client.channel.sendToQueue(names.dead, message.content, {
          persistent: true,
          messageId: "given-back",
        });
      }
    },
  );

  await t.step("a dead letter listed 25 times stays in Q.dead", async () => {
    for (let i = 0; i < 25; i++) {
      const list = await runCli("admin.ts", ["dead", "list", "--queue", queue, "--json"]);
      assertEquals(list.code, 0, list.stderr);
      const { messages } = JSON.parse(list.stdout) as { messages: Array<{ id: string }> };
      assertEquals(messages.map((m) => m.id), ["given-back"], `listing ${i + 1}`);
    }
    assertEquals(await queueDepth(client, names.dead), 1);
  });
});
