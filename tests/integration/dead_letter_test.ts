import { Buffer } from "node:buffer";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { HEADERS } from "../../src/wire/headers.ts";
import { sumRange } from "../../tasks/handlers/sum.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { WorkerProcess } from "../_helpers/cli.ts";
import { drainQueue, stringHeader } from "../_helpers/probe.ts";

const MAX_BYTES = 1_024;

/** A body that no worker can run, what the worker must call it, and words its error must hold. */
interface BadBody {
  readonly name: string;
  readonly body: Buffer;
  readonly reason: string;
  readonly error: readonly string[];
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

const BAD_BODIES: readonly BadBody[] = [
  { name: "not JSON", body: Buffer.from("sum 1 10"), reason: "not-json", error: ["not JSON"] },
  { name: "an empty body", body: Buffer.alloc(0), reason: "not-json", error: ["empty"] },
  {
    name: "invalid UTF-8",
    body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    reason: "invalid-utf8",
    error: ["UTF-8"],
  },
  { name: "a JSON array", body: json([1, 2]), reason: "not-object", error: ["array"] },
  { name: "a JSON number", body: json(42), reason: "not-object", error: ["number"] },
  { name: "JSON null", body: json(null), reason: "not-object", error: ["null"] },
  { name: "a JSON string", body: json("sum"), reason: "not-object", error: ["string"] },
  {
    name: "an object without a task key",
    body: json({ start: 1, end: 10 }),
    reason: "no-task",
    error: ["task"],
  },
  {
    name: "an unknown task",
    body: json({ task: "resize", width: 10 }),
    reason: "unknown-task",
    error: ["resize"],
  },
  {
    name: "a sum whose end is below its start",
    body: json({ task: "sum", start: 10, end: 1 }),
    reason: "invalid-payload",
    error: ["end"],
  },
  {
    name: "a sum with a string field",
    body: json({ task: "sum", start: "one", end: 10 }),
    reason: "invalid-payload",
    error: ["start"],
  },
  {
    name: "a body over --max-bytes",
    body: json({ task: "sum", start: 1, end: 10, padding: "x".repeat(MAX_BYTES) }),
    reason: "too-large",
    error: [String(MAX_BYTES), "bytes"],
  },
];

Deno.test("a worker dead-letters each kind of bad body with its reason and keeps working", async (t) => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  await using worker = new WorkerProcess(["--queue", queue, "--max-bytes", String(MAX_BYTES)]);
  await worker.started();

  // good-0, bad-0, good-1, bad-1, …, good-N: a raw client publishes, as any plain client could.
  const good = (i: number) => json({ task: "sum", start: i, end: 100 + i });
  BAD_BODIES.forEach((bad, i) => {
    client.channel.sendToQueue(queue, good(i), { messageId: `good-${i}` });
    client.channel.sendToQueue(queue, bad.body, { messageId: `bad-${i}`, persistent: true });
  });
  const goodCount = BAD_BODIES.length + 1;
  client.channel.sendToQueue(queue, good(BAD_BODIES.length), {
    messageId: `good-${BAD_BODIES.length}`,
  });

  await worker.waitForEvents("task.done", goodCount);
  assertEquals(worker.events("task.dead").length, BAD_BODIES.length);
  const dead = new Map((await drainQueue(client, `${queue}.dead`)).map((m) => [
    String(m.properties.messageId),
    m,
  ]));
  assertEquals(dead.size, BAD_BODIES.length, "one dead letter per bad body");

  for (const [i, bad] of BAD_BODIES.entries()) {
    await t.step(`${bad.name} goes to the dead queue as '${bad.reason}'`, () => {
      const event = worker.events("task.dead").find((l) => l.id === `bad-${i}`);
      assert(event, `no task.dead line for ${bad.name}`);
      assertEquals(event.reason, bad.reason);
      const letter = dead.get(`bad-${i}`);
      assert(letter, `no dead letter for ${bad.name}`);
      assertEquals(stringHeader(letter, HEADERS.reason), bad.reason);
      const error = stringHeader(letter, HEADERS.error);
      for (const word of bad.error) assertStringIncludes(error, word);
      assertEquals(error, event.error, "the header holds the error the log reports");
      assertEquals(Buffer.compare(letter.content, bad.body), 0, "the body is kept byte for byte");
      assertEquals(stringHeader(letter, HEADERS.queue), queue);
      const by = stringHeader(letter, HEADERS.worker);
      assert(by.endsWith(`-${worker.pid}`), `made by the worker process, not ${by}`);
      assert(!Number.isNaN(Date.parse(stringHeader(letter, HEADERS.lastFailure))));
      assertEquals(letter.properties.headers?.[HEADERS.attempts], undefined, "it never ran");
      assertEquals(letter.properties.deliveryMode, 2, "dead letters are persistent");
    });
  }

  await t.step("the good tasks between them are all done, the last one after every bad one", () => {
    const done = worker.events("task.done");
    assertEquals(
      done.map((l) => l.id),
      Array.from({ length: goodCount }, (_, i) => `good-${i}`),
    );
    assertEquals(
      done.map((l) => l.result),
      Array.from({ length: goodCount }, (_, i) => sumRange(i, 100 + i).toString()),
    );
    const lines = worker.lines;
    const lastDead = lines.findLastIndex((l) => l.event === "task.dead");
    assert(lines.findLastIndex((l) => l.event === "task.done") > lastDead);
  });

  await t.step("the worker never restarted, reconnected or failed", async () => {
    assertEquals(worker.events("worker.started").length, 1);
    const trouble = worker.lines.filter((l) =>
      l.event.startsWith("connection.") && l.event !== "connection.up" ||
      ["worker.resumed", "channel.error", "task.unsettled", "task.failed"].includes(l.event)
    );
    assertEquals(trouble, []);
    worker.kill("SIGTERM");
    assertEquals((await worker.exit()).code, 0);
  });
});
