import { assertEquals, assertMatch, assertRejects } from "@std/assert";
import { z } from "zod";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { NonRetryableError } from "../../src/errors/non_retryable_error.ts";
import { ResultTimeoutError } from "../../src/errors/result_timeout_error.ts";
import { Producer } from "../../src/producer/producer.ts";
import { Worker } from "../../src/worker/worker.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { runCli, WorkerProcess } from "../_helpers/cli.ts";

Deno.test("producer --wait prints each task's exact result as it arrives", async () => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  await using worker = new WorkerProcess(["--queue", queue]);
  await worker.started();
  const text = await runCli("producer.ts", [
    "sum",
    "--start",
    "1",
    "--end",
    "1e9",
    "--count",
    "3",
    "--wait",
    "--queue",
    queue,
  ]);
  assertEquals(text.code, 0, text.stderr);
  const lines = text.stdout.trim().split("\n");
  assertEquals(lines.length, 3);
  for (const line of lines) assertMatch(line, /^done sum [A-Za-z0-9_-]{22} 500000000500000000$/);
  assertMatch(text.stderr, /3 of 3 task\(s\) confirmed .*; 3 done, 0 failed/);

  const json = await runCli("producer.ts", [
    "--json",
    '{"task":"sum","start":-5,"end":10}',
    "--wait",
    "--output",
    "json",
    "--queue",
    queue,
  ]);
  assertEquals(json.code, 0, json.stderr);
  const outcome = JSON.parse(json.stdout);
  assertEquals([outcome.task, outcome.ok, outcome.result], ["sum", true, "40"]);
});

Deno.test("producer --wait exits 1 and says so when an outcome does not come in time", async () => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  // No worker: the task stays queued, so its outcome cannot come.
  const run = await runCli("producer.ts", [
    "sleep",
    "--ms",
    "1",
    "--wait",
    "--timeout",
    "300ms",
    "--queue",
    queue,
  ]);
  assertEquals(run.code, 1, run.stderr);
  assertMatch(run.stdout, /^timeout sleep [A-Za-z0-9_-]{22} no outcome in time\n$/);
  assertMatch(run.stderr, /1 without an outcome in time/);
});

Deno.test("enqueue({ result: true }) yields the result, or why the task was dead-lettered", async () => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  const catalog = defineCatalog(
    defineTask({ name: "half", schema: z.object({ n: z.int() }), result: z.int() }),
  );
  const handlers = defineHandlers(catalog, {
    half: ({ n }) => {
      if (n % 2 !== 0) throw new NonRetryableError(`${n} is odd`);
      return n / 2;
    },
  });
  const worker = await Worker.start(handlers, { queue });
  // Without the history, a result comes only by reply: one of a task enqueued without
  // { result: true } is refused (with the history, it would be read from there).
  const producer = await Producer.connect(catalog, { queue, results: true, history: false });
  try {
    const even = await producer.enqueue("half", { n: 42 }, { result: true });
    const odd = await producer.enqueue("half", { n: 7 }, { result: true });
    const outcome = await producer.result(even, { timeout: 10_000 });
    // Typed by the result schema: a number here.
    if (outcome.ok) assertEquals(outcome.result + 1, 22);
    assertEquals(outcome, {
      id: even.id,
      task: "half",
      ok: true,
      result: 21,
    });
    assertEquals(await producer.result(odd.id, { timeout: 10_000 }), {
      id: odd.id,
      task: "half",
      ok: false,
      reason: "non-retryable",
      error: "7 is odd",
    });
    const plain = await producer.enqueue("half", { n: 2 });
    await assertRejects(
      () => producer.result(plain.id),
      Error,
      "not enqueued with { result: true }",
    );
  } finally {
    await producer.close();
    await worker.close();
  }
  const waiting = await Producer.connect(catalog, { queue, results: true });
  try {
    const receipt = await waiting.enqueue("half", { n: 4 }, { result: true }); // no worker now
    await assertRejects(() => waiting.result(receipt, { timeout: 200 }), ResultTimeoutError);
  } finally {
    await waiting.close();
  }
});
