/**
 * Proves the private-node helper: a persistent message in a durable queue survives a graceful
 * restart of a private RabbitMQ node.
 *
 * @module
 */
import amqp from "amqplib";
import { Buffer } from "node:buffer";
import { assertEquals } from "@std/assert";
import { rabbitmqInstalled, startRabbitNode } from "./_helpers/rabbit_node.ts";

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("rabbit_node_test: rabbitmq-server is not installed; skipping");
}

/** Connects, collecting 'error' events (an unhandled one would kill the test process). */
async function connect(url: string, errors: unknown[]): Promise<amqp.ChannelModel> {
  const conn = await amqp.connect(url);
  conn.on("error", (err: unknown) => errors.push(err));
  return conn;
}

Deno.test({
  name: "private RabbitMQ node keeps a persistent message across stop()/start()",
  ignore: !installed,
  async fn() {
    await using node = await startRabbitNode({ prefix: "warren-t1" });
    const queue = "warren.rabbit-node-test";
    const errors: unknown[] = [];

    const conn = await connect(node.url, errors);
    try {
      const ch = await conn.createConfirmChannel();
      ch.on("error", (err: unknown) => errors.push(err));
      await ch.assertQueue(queue, { durable: true });
      ch.sendToQueue(queue, Buffer.from("survives restarts"), { persistent: true });
      await ch.waitForConfirms();
      await ch.close();
    } finally {
      await conn.close();
    }

    await node.stop();
    await node.start();

    const again = await connect(node.url, errors);
    try {
      const ch = await again.createChannel();
      ch.on("error", (err: unknown) => errors.push(err));
      const { messageCount } = await ch.checkQueue(queue);
      assertEquals(messageCount, 1);
      await ch.close();
    } finally {
      await again.close();
    }
    assertEquals(errors, []);
  },
});
