/**
 * Poison messages on the shared broker: each kind of hostile input ends in `Q.dead` with a
 * reason, its headers bounded, while two workers at prefetch 10 run every other task, never
 * reconnect and never die.
 */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { Buffer } from "node:buffer";
import { z } from "zod";
import { ValidationError } from "../../src/errors/validation_error.ts";
import { Producer } from "../../src/producer/producer.ts";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { HEADER_TEXT_BYTES, utf8Bytes } from "../../src/util/bounds.ts";
import { HEADERS } from "../../src/wire/headers.ts";
import type { TaskEvent } from "../../src/worker/events.ts";
import { Worker } from "../../src/worker/worker.ts";
import { createLogger } from "../../src/util/logger.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { drainQueue, queueDepth, stringHeader, until } from "../_helpers/probe.ts";

const add = defineTask({ name: "add", schema: z.object({ n: z.int() }), result: z.int() });
const shout = defineTask({
  name: "shout",
  schema: z.object({ n: z.int() }),
  retries: 1,
  backoff: { base: 20, max: 20 },
});
const nest = defineTask({ name: "nest", schema: z.object({ depth: z.int() }) });
const catalog = defineCatalog(add, shout, nest);
const handlers = defineHandlers(catalog, {
  add: ({ n }) => n + 1,
  shout: () => {
    throw new Error("e".repeat(70_000)); // over amqplib's 64 KiB of headers, whole
  },
  nest: ({ depth }) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  },
});

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

Deno.test("poison messages end in Q.dead with a reason; two workers at prefetch 10 run the rest", async () => {
  const queue = uniqueQueue("warren_poison");
  await using client = await rawClient();
  client.track(queue);

  // The control stream, declared as Warren declares it; then a cancel whose `by` is 200,000
  // characters, as any client that may write to it could publish.
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue, history: true });
  await producer.cancel("declares-the-stream", { by: "test" });
  client.channel.sendToQueue(
    `${queue}.control`,
    json({
      v: 1,
      op: "cancel",
      id: "poison-cancel",
      at: new Date().toISOString(),
      by: "b".repeat(200_000),
    }),
    { correlationId: "poison-cancel" },
  );

  const events: TaskEvent[] = [];
  const lines: string[] = [];
  const workers = await Promise.all(
    ["a", "b"].map((name) =>
      Worker.start(handlers, {
        url: TEST_URL,
        queue,
        prefetch: 10,
        history: true,
        id: `poison-${name}-${queue}`,
        onEvent: (event) => events.push(event),
        logger: createLogger({ write: (line) => lines.push(line), level: "warn" }),
      })
    ),
  );
  const died: unknown[] = [];
  for (const worker of workers) worker.closed.catch((err) => died.push(err));

  const GOOD = 40;
  const poison: Array<[id: string, body: Buffer]> = [
    ["poison-name", json({ task: "n".repeat(70_000) })],
    [
      "poison-deep-body",
      Buffer.from(`{"task":"add","n":${"[".repeat(20_000)}${"]".repeat(20_000)}}`),
    ],
    ["poison-cancel", json({ task: "add", n: 1 })],
    ["poison-error", json({ task: "shout", n: 1 })],
    ["poison-deep-result", json({ task: "nest", depth: 3_000 })],
  ];
  // Headers that fit what a client may send, but not with Warren's added: the full dead letter
  // is refused, and a minimal one goes instead.
  client.channel.sendToQueue(queue, json({ task: "resize" }), {
    messageId: "poison-headers",
    headers: { big: "h".repeat(63_000) },
  });
  for (let i = 0; i < GOOD; i++) {
    client.channel.sendToQueue(queue, json({ task: "add", n: i }), { messageId: `good-${i}` });
    const bad = poison[i];
    if (bad) client.channel.sendToQueue(queue, bad[1], { messageId: bad[0], persistent: true });
  }

  const done = () => events.filter((e) => e.event === "task.done" && e.task === "add").length;
  await until(() => done() === GOOD, "every good task to run", 30_000);
  const deadIds = () => new Set(events.filter((e) => e.event === "task.dead").map((e) => e.id));
  await until(() => deadIds().size === poison.length + 1, "a dead letter of each poison message");
  await until(
    async () => (await queueDepth(client, `${queue}.dead`)) === poison.length + 1,
    "the dead letters in Q.dead",
  );

  const dead = await drainQueue(client, `${queue}.dead`);
  const reasons = Object.fromEntries(
    dead.map((m) => [m.properties.messageId as string, stringHeader(m, HEADERS.reason)]),
  );
  assertEquals(reasons, {
    "poison-name": "unknown-task",
    "poison-deep-body": "too-large",
    "poison-cancel": "cancelled",
    "poison-error": "failed",
    "poison-deep-result": "invalid-result",
    "poison-headers": "unknown-task",
  });
  const minimal = dead.find((m) => m.properties.messageId === "poison-headers")!;
  assertEquals(minimal.properties.headers?.big, undefined);
  assert(stringHeader(minimal, HEADERS.error).includes("minimal dead letter"));
  for (const message of dead) {
    const error = stringHeader(message, HEADERS.error);
    assert(
      utf8Bytes(error) <= HEADER_TEXT_BYTES,
      `${message.properties.messageId}: ${error.length}`,
    );
    assert(error.length > 0);
  }
  // The dead letter keeps the original body, whole.
  const named = dead.find((m) => m.properties.messageId === "poison-name")!;
  assertEquals(named.content.length, poison[0]![1].length);

  // No worker reconnected, died, or saw any task die as `worker-died`.
  assertEquals(workers.map((w) => w.reconnects), [0, 0]);
  assertEquals(died, []);
  assertEquals(lines.filter((line) => /connection\.(restart|lost)|task\.discarded/.test(line)), []);
  assertEquals(events.filter((e) => e.event === "task.dead" && e.reason === "worker-died"), []);
  await Promise.all(workers.map((w) => w.close()));
  await producer.close();
});

Deno.test("a producer refuses a payload nested 3,000 deep up front, with nothing pending", async () => {
  const queue = uniqueQueue("warren_poison");
  await using client = await rawClient();
  client.track(queue);
  const loose = defineTask({ name: "loose", schema: z.object({ data: z.unknown() }) });
  const producer = await Producer.connect(defineCatalog(loose), {
    url: TEST_URL,
    queue,
    history: true,
    historyPayloads: true,
  });
  let data: unknown = 1;
  for (let i = 0; i < 3_000; i++) data = [data];
  await assertRejects(() => producer.enqueue("loose", { data }), ValidationError, "nests over");
  assertEquals(producer.unconfirmed, 0);
  const started = Date.now();
  await producer.close();
  assert(Date.now() - started < 5_000, "close() does not wait on a publish that never was");
});
