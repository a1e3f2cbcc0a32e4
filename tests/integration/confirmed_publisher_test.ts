/**
 * `ConfirmedPublisher` on the broker: a publish is confirmed, returned as unroutable, refused as
 * too large before it is sent, or fails as closed; the channel stays usable after each refusal.
 */
import { assertEquals, assertRejects } from "@std/assert";
import { Buffer } from "node:buffer";
import { ConfirmedPublisher } from "../../src/broker/confirmed_publisher.ts";
import { PublishError } from "../../src/errors/publish_error.ts";
import { messageCount, rawClient, uniqueQueue } from "../_helpers/broker.ts";

Deno.test("ConfirmedPublisher on RabbitMQ: confirmed, unroutable, too large, closed", async () => {
  await using client = await rawClient();
  const queue = uniqueQueue("warren_confirmed");
  client.track(queue);
  await client.channel.assertQueue(queue, { durable: true });
  const channel = await client.connection.createConfirmChannel();
  channel.on("error", () => {});
  const publisher = new ConfirmedPublisher(channel);
  const body = Buffer.from('{"task":"sum"}');

  await publisher.publish(queue, body, { messageId: "ok-1", persistent: true });

  const unroutable = await assertRejects(
    () => publisher.publish(`${queue}_missing`, body, { messageId: "lost-1" }),
    PublishError,
  );
  assertEquals(unroutable.reason, "unroutable");

  const tooLarge = await assertRejects(
    () => publisher.publish(queue, body, { headers: { "x-warren-error": "e".repeat(70_000) } }),
    PublishError,
  );
  assertEquals(tooLarge.reason, "too-large");

  // Each refusal left the channel as it was.
  await publisher.publish(queue, body, { messageId: "ok-2", persistent: true });
  assertEquals(await messageCount(client, queue), 2);

  await channel.close();
  const closed = await assertRejects(() => publisher.publish(queue, body, {}), PublishError);
  assertEquals(closed.reason, "closed");
});
