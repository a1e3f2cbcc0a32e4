/**
 * The task history on a real broker: the events of 1,000 tasks through retries, dead letters
 * and successes are exactly what happened; a lookup finds one id among 100,000 events; a
 * result outlives the producer that enqueued the task; the admin CLI reads it all.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import amqp from "amqplib";
import { Buffer } from "node:buffer";
import { z } from "zod";
import { Admin } from "../../src/admin/admin.ts";
import { streamOptions } from "../../src/broker/topology.ts";
import { DEFAULT_HISTORY_MAX_AGE_MS } from "../../src/history/options.ts";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { Producer } from "../../src/producer/producer.ts";
import { Worker } from "../../src/worker/worker.ts";
import { encodeEvent, type NewHistoryEvent } from "../../src/wire/events.ts";
import { taskIdAt } from "../../src/wire/task_id.ts";
import { delay } from "../../tasks/handlers/sleep.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { enqueuedIds, runCli, WorkerProcess } from "../_helpers/cli.ts";
import { byTask, readHistory, steps } from "../_helpers/history.ts";

const RETRIES = 2;

const flaky = defineTask({
  name: "flaky",
  schema: z.object({ n: z.int(), fails: z.int().min(0) }),
  result: z.int(),
  retries: RETRIES,
  backoff: { base: 100, max: 100 },
});
const nap = defineTask({
  name: "nap",
  schema: z.object({ ms: z.int() }),
  result: z.object({ napped: z.int() }),
});
const catalog = defineCatalog(flaky, nap);
const handlers = defineHandlers(catalog, {
  flaky: ({ n, fails }, { attempt }) => {
    if (attempt <= fails) throw new Error(`task ${n} fails attempt ${attempt}`);
    return n;
  },
  nap: async ({ ms }, { signal, progress }) => {
    progress(0.5, "half way");
    await delay(ms, signal);
    return { napped: ms };
  },
});

/** What the history of a `flaky` task that fails `fails` times must say, step by step. */
function expectedSteps(fails: number): string[] {
  const failed = Math.min(fails, RETRIES + 1);
  const list = ["enqueued"];
  for (let attempt = 1; attempt <= failed; attempt++) {
    list.push(`started ${attempt}`);
    if (attempt <= RETRIES) list.push(`retried ${attempt}`);
  }
  if (fails <= RETRIES) list.push(`started ${fails + 1}`, `succeeded ${fails + 1}`);
  else list.push("dead");
  return list;
}

Deno.test("the history of 1,000 tasks through retries, dead letters and successes is exactly what happened", async () => {
  const queue = uniqueQueue("warren_history");
  await using client = await rawClient();
  client.track(queue);
  // No `history` option: the history is on by default.
  const options = { url: TEST_URL, queue } as const;
  let finished = 0;
  const allFinished = Promise.withResolvers<void>();
  const workers = await Promise.all([1, 2, 3].map((i) =>
    Worker.start(handlers, {
      ...options,
      prefetch: 10,
      id: `history-${i}`,
      onEvent: (event) => {
        if (event.event !== "task.done" && event.event !== "task.dead") return;
        if (++finished === 1000) allFinished.resolve();
      },
    })
  ));
  const producer = await Producer.connect(catalog, options);
  const fails = new Map<string, number>();
  try {
    const receipts = await Promise.all(
      Array.from({ length: 1000 }, (_, n) => producer.enqueue("flaky", { n, fails: n % 4 })),
    );
    receipts.forEach((receipt, n) => fails.set(receipt.id, n % 4));
    const timer = setTimeout(
      () => allFinished.reject(new Error(`${finished} of 1000 tasks finished in 60 s`)),
      60_000,
    );
    await allFinished.promise.finally(() => clearTimeout(timer));
  } finally {
    await producer.close();
    await Promise.all(workers.map((worker) => worker.close()));
  }

  const tasks = byTask(await readHistory(queue));
  assertEquals(tasks.size, 1000);
  const wrong: string[] = [];
  for (const [id, events] of tasks) {
    const want = expectedSteps(fails.get(id)!);
    const got = steps(events);
    if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${id}: ${got} (want ${want})`);
    const last = events.at(-1)!;
    if (last.event === "dead") {
      assertEquals([last.reason, last.attempts], ["failed", RETRIES + 1]);
    } else if (last.event === "succeeded") {
      assert(last.worker.startsWith("history-"));
    }
  }
  assertEquals(wrong, []);
});

Deno.test("a lookup finds one task among 100,000 events, and the admin CLI prints its timeline", async (t) => {
  const queue = uniqueQueue("warren_lookup");
  await using client = await rawClient();
  client.track(queue);
  const events = `${queue}.events`;
  await client.channel.assertQueue(
    events,
    streamOptions({ maxAgeMs: DEFAULT_HISTORY_MAX_AGE_MS, maxBytes: 1_000_000_000 }),
  );
  const target = taskIdAt(Date.now());
  const worker = "lookup-worker";
  const timeline: NewHistoryEvent[] = [
    { event: "enqueued", id: target, task: "nap" },
    { event: "started", id: target, task: "nap", worker, attempt: 1 },
    { event: "progress", id: target, task: "nap", worker, attempt: 1, fraction: 0.5 },
    { event: "succeeded", id: target, task: "nap", worker, attempt: 1, ms: 12, result: 42 },
  ];
  // The target's events spread over the stream, among 99,996 events of other tasks.
  const connection = await amqp.connect(TEST_URL);
  const channel = await connection.createConfirmChannel();
  const total = 100_000;
  const at = new Set([0, 33_333, 66_666, total - 1]);
  let next = 0;
  for (let i = 0; i < total; i++) {
    const event = at.has(i) ? timeline[next++]! : {
      event: "started",
      id: taskIdAt(Date.now()),
      task: "nap",
      worker,
      attempt: 1,
    } as const;
    const { body, properties } = encodeEvent(event);
    if (!channel.sendToQueue(events, Buffer.from(body), properties)) {
      await new Promise((resolve) => channel.once("drain", resolve));
    }
  }
  await channel.waitForConfirms();
  await connection.close();

  const admin = await Admin.connect({ url: TEST_URL, queue });
  try {
    await t.step("the library finds its whole timeline", async () => {
      const started = performance.now();
      const record = await admin.task(target);
      const ms = performance.now() - started;
      // deno-lint-ignore no-console
      console.log(`  lookup of one id among ${total} events: ${ms.toFixed(0)} ms`);
      assertEquals(record?.state, "succeeded");
      assertEquals(record?.result, 42);
      assertEquals(record?.events.map((e) => e.event), [
        "enqueued",
        "started",
        "progress",
        "succeeded",
      ]);
      assertEquals(await admin.task(taskIdAt(Date.now())), undefined);
    });
    await t.step("a list of the running tasks finds the others", async () => {
      const { tasks: running } = await admin.tasks({
        since: new Date(Date.now() - 3600_000),
        state: "running",
        limit: 5,
      });
      assertEquals(running.length, 5);
      assert(running.every((r) => r.state === "running" && r.task === "nap"));
    });
  } finally {
    await admin.close();
  }

  await t.step("admin.ts task prints the timeline, and refuses an unknown id", async () => {
    const found = await runCli("admin.ts", ["task", target, "--queue", queue]);
    assertEquals(found.code, 0, found.stderr);
    assertStringIncludes(found.stdout, `Task ${target} (nap) of '${queue}': succeeded after 1`);
    assertMatch(found.stdout, /\nTIME +EVENT +ATTEMPT +WORKER +DETAIL\n/);
    assertMatch(found.stdout, /Z {2}progress +1 {2}lookup-worker {2}50%\n/);
    const json = await runCli("admin.ts", ["task", target, "--queue", queue, "--json"]);
    assertEquals(JSON.parse(json.stdout).events.length, 4);
    const unknown = await runCli("admin.ts", ["task", "no-such-task", "--queue", queue]);
    assertEquals(unknown.code, 2);
    assertStringIncludes(unknown.stderr, "No task 'no-such-task' in the history of");
    const result = await runCli("admin.ts", ["result", target, "--queue", queue]);
    assertEquals([result.code, result.stdout.trim()], [0, "42"]);
  });
});

Deno.test("a result outlives the producer that enqueued the task", async (t) => {
  const queue = uniqueQueue("warren_late_result");
  await using client = await rawClient();
  client.track(queue);
  const options = { url: TEST_URL, queue, history: true } as const;
  const first = await Producer.connect(catalog, options);
  const receipt = await first.enqueue("nap", { ms: 300 });
  const failing = await first.enqueue("flaky", { n: 7, fails: 9 });
  await first.close();
  const worker = await Worker.start(handlers, options);
  try {
    await t.step("another producer reads it from the history, typed", async () => {
      const second = await Producer.connect(catalog, options);
      try {
        const seen: number[] = [];
        const outcome = await second.result(receipt, {
          timeout: 20_000,
          onProgress: (p) => seen.push(p.fraction),
        });
        assert(outcome.ok);
        const napped: number = outcome.result.napped;
        assertEquals(napped, 300);
        assertEquals(seen, [0.5]);
        const dead = await second.result(failing.id, { timeout: 20_000 });
        assertEquals(dead.ok ? "ok" : dead.reason, "failed");
      } finally {
        await second.close();
      }
    });
    await t.step("admin.ts result prints it, or why there is none", async () => {
      const ok = await runCli("admin.ts", ["result", receipt.id, "--queue", queue]);
      assertEquals([ok.code, ok.stdout.trim()], [0, `{"napped":300}`]);
      const dead = await runCli("admin.ts", ["result", failing.id, "--queue", queue]);
      assertEquals(dead.code, 3);
      assertStringIncludes(dead.stderr, "has no result: failed: task 7 fails attempt 3");
    });
  } finally {
    await worker.close();
  }
});

Deno.test("a producer with its history turned off says how to get a result it did not ask for", async () => {
  const queue = uniqueQueue("warren_no_history");
  await using client = await rawClient();
  client.track(queue);
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue, history: false });
  try {
    const receipt = await producer.enqueue("nap", { ms: 1 });
    const error = await producer.result(receipt).then(() => undefined, (err: Error) => err);
    assertStringIncludes(String(error?.message), "it was created with { history: false }");
  } finally {
    await producer.close();
  }
  const lookup = await runCli("admin.ts", ["task", "x", "--queue", queue]);
  assertEquals(lookup.code, 2);
  assertStringIncludes(lookup.stderr, "the queue has no history");
});

Deno.test("the CLIs record the history by default, and not with --no-history", async () => {
  const queue = uniqueQueue("warren_cli_history");
  const quiet = uniqueQueue("warren_cli_no_history");
  await using client = await rawClient();
  client.track(queue, quiet);
  await using worker = new WorkerProcess(["--queue", queue]);
  await worker.started();
  const sent = await runCli("producer.ts", [
    "sum",
    "--start",
    "1",
    "--end",
    "10",
    "--queue",
    queue,
  ]);
  assertEquals(sent.code, 0, sent.stderr);
  const [id] = enqueuedIds(sent.stdout);
  assert(id !== undefined, sent.stdout);
  await worker.waitFor(
    (lines) => lines.some((l) => l.event === "task.done" && l.id === id),
    "the task to be done",
  );
  const found = await runCli("admin.ts", ["task", id, "--queue", queue, "--json"]);
  assertEquals(found.code, 0, found.stderr);
  const record = JSON.parse(found.stdout) as { state: string; events: { event: string }[] };
  assertEquals(record.state, "succeeded");
  assertEquals(record.events.map((e) => e.event), ["enqueued", "started", "succeeded"]);

  const off = await runCli("producer.ts", [
    "sum",
    "--start",
    "1",
    "--end",
    "10",
    "--queue",
    quiet,
    "--no-history",
  ]);
  assertEquals(off.code, 0, off.stderr);
  const none = await runCli("admin.ts", ["task", enqueuedIds(off.stdout)[0]!, "--queue", quiet]);
  assertEquals(none.code, 2);
  assertStringIncludes(none.stderr, "the queue has no history");
});

Deno.test("admin.ts tasks --limit says how many tasks it left out", async () => {
  const queue = uniqueQueue("warren_tasks_limit");
  await using client = await rawClient();
  client.track(queue);
  const events = `${queue}.events`;
  await client.channel.assertQueue(
    events,
    streamOptions({ maxAgeMs: DEFAULT_HISTORY_MAX_AGE_MS, maxBytes: 10_000_000 }),
  );
  const connection = await amqp.connect(TEST_URL);
  try {
    const channel = await connection.createConfirmChannel();
    for (let i = 0; i < 5; i++) {
      const { body, properties } = encodeEvent({
        event: "enqueued",
        id: taskIdAt(Date.now()),
        task: "nap",
      });
      channel.sendToQueue(events, Buffer.from(body), properties);
    }
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
  const cut = await runCli("admin.ts", ["tasks", "--limit", "3", "--queue", queue]);
  assertEquals(cut.code, 0, cut.stderr);
  assertStringIncludes(cut.stdout.split("\n")[0]!, ": 3 of 5 (the latest; --limit shows more)");
  assertEquals(cut.stdout.trimEnd().split("\n").length, 1 + 1 + 3, "heading, titles, 3 rows");
  const all = await runCli("admin.ts", ["tasks", "--limit", "5", "--queue", queue]);
  assertEquals(all.code, 0, all.stderr);
  assertMatch(all.stdout.split("\n")[0]!, /: 5$/);
});
