import { Buffer } from "node:buffer";
import type { GetMessage } from "amqplib";
import { assert, assertEquals, assertLessOrEqual, assertMatch } from "@std/assert";
import { Producer } from "../../src/producer/producer.ts";
import { catalog } from "../../tasks/mod.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { runCli, WorkerProcess } from "../_helpers/cli.ts";
import { drainQueue } from "../_helpers/probe.ts";

Deno.test("a worker runs a message that a plain client published with no properties", async (t) => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  await using worker = new WorkerProcess(["--queue", queue]);
  await worker.started();

  await t.step("only a body: the task name comes from it", async () => {
    // amqplib sends an empty header table and nothing else: no id, type, content type or mode.
    client.channel.sendToQueue(queue, Buffer.from('{"task":"sum","start":1,"end":10}'));
    await worker.waitForEvents("task.done", 1);
    const [done] = worker.events("task.done");
    assertEquals([done?.task, done?.result, done?.attempt], ["sum", "55", 1]);
    assertMatch(String(done?.id), /^sha256:[0-9a-f]{24}$/, "an id derived from the body");
  });

  await t.step("the seed producer's message: a body and delivery mode 2", async () => {
    client.channel.sendToQueue(queue, Buffer.from('{"task": "sum", "start": 1, "end": 10000}'), {
      deliveryMode: 2,
    });
    await worker.waitForEvents("task.done", 2);
    assertEquals(worker.events("task.done")[1]?.result, "50005000");
  });

  assertEquals(worker.events("task.dead"), []);
  worker.kill("SIGTERM");
  assertEquals((await worker.exit()).code, 0);
});

/** What a plain client (the seed's Python worker) reads of a Warren message. */
function assertPlainlyReadable(message: GetMessage, id: string, sentAt: number): void {
  const body: unknown = JSON.parse(new TextDecoder().decode(message.content));
  assert(typeof body === "object" && body !== null);
  assertEquals((body as { task?: unknown }).task, "sum");
  assertEquals(body, { task: "sum", start: 1, end: 10_000 }, "the args beside the task name");
  const p = message.properties;
  assertEquals(p.deliveryMode, 2, "persistent");
  assertEquals(p.contentType, "application/json");
  assertEquals(p.messageId, id);
  assertEquals(p.type, catalog.tasks.sum.version, "the contract's version");
  assertEquals(p.appId, undefined, "no app_id");
  assert(typeof p.timestamp === "number", "a timestamp");
  assertLessOrEqual(Math.abs(p.timestamp - sentAt / 1000), 60, "seconds since the epoch, now");
}

Deno.test("a plain client reads the tasks that Warren publishes", async (t) => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);

  await t.step("published by the Producer class", async () => {
    const producer = await Producer.connect(catalog, { url: TEST_URL, queue });
    let id: string;
    try {
      id = (await producer.enqueue("sum", { start: 1, end: 10_000 })).id;
    } finally {
      await producer.close();
    }
    const messages = await drainQueue(client, queue);
    assertEquals(messages.length, 1);
    assertPlainlyReadable(messages[0]!, id, Date.now());
  });

  await t.step("published by the producer CLI", async () => {
    const result = await runCli("producer.ts", [
      "sum",
      "--start",
      "1",
      "--end",
      "10000",
      "--queue",
      queue,
    ]);
    assertEquals(result.code, 0, result.stderr);
    const match = /^enqueued sum (\S+)$/.exec(result.stdout.trim());
    assert(match?.[1], `stdout: ${result.stdout}`);
    const messages = await drainQueue(client, queue);
    assertEquals(messages.length, 1);
    assertPlainlyReadable(messages[0]!, match[1], Date.now());
  });
});
