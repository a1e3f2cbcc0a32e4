import { assertEquals } from "@std/assert";
import { ackInOrder } from "../../../src/worker/acks.ts";

function recorder() {
  const sent: Array<[tag: number, multiple: boolean]> = [];
  return {
    sent,
    channel: {
      ack: (message: { fields: { deliveryTag: number } }, allUpTo?: boolean) => {
        sent.push([message.fields.deliveryTag, allUpTo === true]);
      },
    },
  };
}

const deliveries = (...tags: number[]) => tags.map((deliveryTag) => ({ fields: { deliveryTag } }));

Deno.test("ackInOrder() acks a run of finished deliveries from the oldest with one multiple ack", () => {
  const { sent, channel } = recorder();
  const unacked = [7, 8, 9, 10];
  ackInOrder(channel, unacked, deliveries(9, 7, 8));
  assertEquals(sent, [[9, true]]);
  assertEquals(unacked, [10]);
});

Deno.test("ackInOrder() acks one by one what finished after a delivery still running", () => {
  const { sent, channel } = recorder();
  const unacked = [1, 2, 3, 4];
  ackInOrder(channel, unacked, deliveries(2, 4));
  assertEquals(sent, [[2, false], [4, false]]);
  assertEquals(unacked, [1, 3]);
});

Deno.test("ackInOrder() acks a single oldest delivery without multiple", () => {
  const { sent, channel } = recorder();
  const unacked = [5, 6];
  ackInOrder(channel, unacked, deliveries(5));
  assertEquals(sent, [[5, false]]);
  assertEquals(unacked, [6]);
});
