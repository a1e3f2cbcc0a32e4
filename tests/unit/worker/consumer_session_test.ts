/**
 * `ConsumerSession` against stand-in channels: an ack on a channel that is closing is dropped
 * and logged, never thrown (it killed a worker), and acks of a session no longer live are never
 * sent.
 */
import { assertEquals } from "@std/assert";
import { EventEmitter } from "node:events";
import { Link } from "../../../src/broker/link.ts";
import type { ChannelModel, ConsumeMessage } from "../../../src/deps/amqplib.ts";
import { createLogger } from "../../../src/util/logger.ts";
import { ConsumerSession } from "../../../src/worker/consumer_session.ts";

class FakeChannel extends EventEmitter {
  readonly acked: number[] = [];
  readonly nacked: Array<[number, boolean]> = [];
  closing = false;
  onMessage: ((message: ConsumeMessage | null) => void) | undefined;

  prefetch(): Promise<void> {
    return Promise.resolve();
  }

  consume(_queue: string, onMessage: (message: ConsumeMessage | null) => void) {
    this.onMessage = onMessage;
    return Promise.resolve({ consumerTag: "c1" });
  }

  #check(): void {
    if (this.closing) {
      const err = new Error("Connection closing");
      err.name = "IllegalOperationError";
      throw err;
    }
  }

  ack(message: ConsumeMessage): void {
    this.#check();
    this.acked.push(message.fields.deliveryTag);
  }

  nack(message: ConsumeMessage, _all: boolean, requeue: boolean): void {
    this.#check();
    this.nacked.push([message.fields.deliveryTag, requeue]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function session(live = { value: true }) {
  const consume = new FakeChannel();
  const publish = new FakeChannel();
  const model = {
    connection: { serverProperties: { version: "3.10.8" } },
    createChannel: () => Promise.resolve(consume),
    createConfirmChannel: () => Promise.resolve(publish),
  } as unknown as ChannelModel;
  const lines: string[] = [];
  const log = createLogger({ write: (line) => lines.push(line) });
  const link = new Link(model, { generation: 1, url: "amqp://x", log }, {
    restart: () => {},
    isLive: () => live.value,
  });
  const deliveries: ConsumeMessage[] = [];
  const opened = await ConsumerSession.open(link, 10, {
    onDelivery: (message) => deliveries.push(message),
    onCancelled: () => {},
    flushLog: () => {},
    log,
  });
  await opened.consume("q");
  const deliver = (tag: number) =>
    consume.onMessage!(
      { fields: { deliveryTag: tag }, properties: {} } as unknown as ConsumeMessage,
    );
  return { session: opened, consume, deliver, deliveries, lines, live };
}

Deno.test("ConsumerSession drops an ack on a closing channel, logs it, and settles no more", async () => {
  const { session: s, consume, deliver, deliveries, lines } = await session();
  deliver(1);
  deliver(2);
  consume.closing = true;
  assertEquals(s.ack(deliveries[0]!, true), true); // throws inside: caught
  assertEquals(consume.acked, []);
  assertEquals(lines.some((line) => line.includes("ack.dropped")), true);
  assertEquals(s.live, false);
  assertEquals(s.ack(deliveries[1]!, true), false);
  s.reject(deliveries[1]!, true); // nothing sent, nothing thrown
  assertEquals(consume.nacked, []);
});

Deno.test("ConsumerSession sends no ack of a link that is no longer live", async () => {
  const { session: s, consume, deliver, deliveries, live } = await session();
  deliver(1);
  live.value = false;
  assertEquals(s.ack(deliveries[0]!, true), false);
  assertEquals(consume.acked, []);
});

Deno.test("ConsumerSession rejects at once, and acks the rest as one multiple ack", async () => {
  const { session: s, consume, deliver, deliveries } = await session();
  deliver(1);
  deliver(2);
  deliver(3);
  s.reject(deliveries[0]!, true);
  s.ack(deliveries[1]!, false);
  s.ack(deliveries[2]!, true);
  assertEquals(consume.nacked, [[1, true]]);
  assertEquals(consume.acked, [3]); // 2 and 3 as one ack with `multiple`
});

Deno.test("ConsumerSession is retired when its channel closes", async () => {
  const { session: s, consume } = await session();
  consume.emit("close");
  assertEquals(s.live, false);
});
