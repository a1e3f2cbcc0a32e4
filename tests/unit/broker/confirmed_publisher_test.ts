/**
 * `ConfirmedPublisher` against a stand-in confirm channel: each way a publish can end, without a
 * broker (the integration test `confirmed_publisher_test.ts` runs the same on RabbitMQ).
 */
import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { checkPublishable, ConfirmedPublisher } from "../../../src/broker/confirmed_publisher.ts";
import type { ConfirmChannel, Message } from "../../../src/deps/amqplib.ts";
import { PublishError } from "../../../src/errors/publish_error.ts";

type Callback = (err: unknown) => void;

/** A confirm channel that records publishes and answers as the test says. */
class FakeChannel extends EventEmitter {
  readonly sent: Array<{ exchange: string; key: string; options: Record<string, unknown> }> = [];
  readonly callbacks: Callback[] = [];
  throwOnPublish: Error | undefined;

  publish(
    exchange: string,
    key: string,
    _body: Buffer,
    options: Record<string, unknown>,
    cb: Callback,
  ): boolean {
    if (this.throwOnPublish) throw this.throwOnPublish;
    this.sent.push({ exchange, key, options });
    this.callbacks.push(cb);
    return true;
  }

  returnLast(): void {
    const last = this.sent.at(-1)!;
    this.emit("return", {
      fields: { exchange: last.exchange, routingKey: last.key },
      properties: last.options,
      content: Buffer.alloc(0),
    } as unknown as Message);
  }
}

function publisherOn(fake: FakeChannel): ConfirmedPublisher {
  return new ConfirmedPublisher(fake as unknown as ConfirmChannel);
}

const body = Buffer.from('{"task":"sum"}');

Deno.test("ConfirmedPublisher resolves a confirmed publish, sent mandatory", async () => {
  const fake = new FakeChannel();
  const published = publisherOn(fake).publish("q", body, { messageId: "t1" });
  fake.callbacks[0]!(null);
  await published;
  assertEquals(fake.sent[0]!.options.mandatory, true);
  assertEquals(fake.sent[0]!.key, "q");
});

Deno.test("ConfirmedPublisher rejects a returned publish as unroutable", async () => {
  const fake = new FakeChannel();
  const publisher = publisherOn(fake);
  const kept = publisher.publish("q", body, { messageId: "a" });
  const returned = publisher.publish("gone", body, { messageId: "b" });
  fake.returnLast(); // the broker returns before it confirms
  fake.callbacks[0]!(null);
  fake.callbacks[1]!(null);
  await kept;
  const err = await assertRejects(() => returned, PublishError);
  assertEquals(err.reason, "unroutable");
  assertEquals(err.id, "b");
});

Deno.test("ConfirmedPublisher rejects a nack as nacked and a closed channel as closed", async () => {
  const fake = new FakeChannel();
  const publisher = publisherOn(fake);
  const nacked = publisher.publish("q", body, { messageId: "a" });
  const lost = publisher.publish("q", body, { messageId: "b" });
  fake.callbacks[0]!(new Error("message nacked"));
  fake.callbacks[1]!(new Error("channel closed"));
  assertEquals((await assertRejects(() => nacked, PublishError)).reason, "nacked");
  assertEquals((await assertRejects(() => lost, PublishError)).reason, "closed");
  fake.emit("close");
  assertEquals(publisher.closed, true);
  const after = await assertRejects(() => publisher.publish("q", body, {}), PublishError);
  assertEquals(after.reason, "closed");
  assertEquals(fake.sent.length, 2); // nothing sent on a closed channel
});

Deno.test("ConfirmedPublisher turns a throw of amqplib into a rejection, never a throw", async () => {
  const fake = new FakeChannel();
  const publisher = publisherOn(fake);
  const closing = new Error("Connection closing");
  closing.name = "IllegalOperationError";
  fake.throwOnPublish = closing;
  assertEquals(
    (await assertRejects(() => publisher.publish("q", body, {}), PublishError)).reason,
    "closed",
  );
  fake.throwOnPublish = new RangeError("Encoded field table exceeds the 65536 byte buffer");
  assertEquals(
    (await assertRejects(() => publisher.publish("q", body, {}), PublishError)).reason,
    "too-large",
  );
  assertEquals(publisher.pending, 0);
});

Deno.test("ConfirmedPublisher refuses what is too large before sending it", async () => {
  const fake = new FakeChannel();
  const publisher = new ConfirmedPublisher(fake as unknown as ConfirmChannel, {
    maxBodyBytes: 10,
  });
  const big = await assertRejects(
    () => publisher.publish("q", Buffer.alloc(11), { messageId: "x" }),
    PublishError,
  );
  assertEquals(big.reason, "too-large");
  const headers = await assertRejects(
    () => publisher.publish("q", Buffer.alloc(1), { headers: { e: "e".repeat(70_000) } }),
    PublishError,
  );
  assertEquals(headers.reason, "too-large");
  assertEquals(fake.sent.length, 0);
});

Deno.test("checkPublishable() says what is wrong: body, headers, short strings", async (t) => {
  await t.step("a fitting message passes", () => {
    assertEquals(
      checkPublishable(body, { messageId: "t", headers: { a: [1, "b", { c: 2 }] } }),
      undefined,
    );
  });
  await t.step("headers nested or long are measured", () => {
    const wide = Object.fromEntries(
      Array.from({ length: 700 }, (_, i) => [`k${i}`, "v".repeat(100)]),
    );
    assertEquals(checkPublishable(body, { headers: wide })?.reason, "too-large");
  });
  await t.step("a property over 255 bytes is invalid", () => {
    const unfit = checkPublishable(body, { messageId: "m".repeat(300) });
    assertEquals(unfit?.reason, "invalid");
  });
});

Deno.test("ConfirmedPublisher.of() gives one publisher per channel", () => {
  const fake = new FakeChannel();
  const channel = fake as unknown as ConfirmChannel;
  assertInstanceOf(ConfirmedPublisher.of(channel), ConfirmedPublisher);
  assertEquals(ConfirmedPublisher.of(channel), ConfirmedPublisher.of(channel));
  assertEquals(fake.listenerCount("return"), 1);
});
