import { assertEquals } from "@std/assert";
import { sumRange } from "../../tasks/handlers/sum.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { enqueuedIds, runCli, WorkerProcess } from "../_helpers/cli.ts";
import { until } from "../_helpers/probe.ts";

Deno.test("300 tasks over 3 worker processes are each done exactly once, with exact results", async () => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  const workers = [0, 1, 2].map(() => new WorkerProcess(["--queue", queue]));
  let exits: Awaited<ReturnType<WorkerProcess["exit"]>>[];
  try {
    await Promise.all(workers.map((w) => w.started()));
    const lines = Array.from(
      { length: 300 },
      (_, i) => JSON.stringify({ task: "sum", start: i, end: i * 1_000_003 }),
    );
    const produced = await runCli("producer.ts", ["--file", "-", "--queue", queue], {
      stdin: lines.join("\n") + "\n",
    });
    assertEquals(produced.code, 0, produced.stderr);
    const ids = enqueuedIds(produced.stdout);
    assertEquals(new Set(ids).size, 300);

    const total = () => workers.reduce((n, w) => n + w.events("task.done").length, 0);
    await until(() => total() >= 300, "300 tasks done");

    const done = workers.flatMap((w) => w.events("task.done"));
    assertEquals(done.length, 300, "each task done exactly once");
    assertEquals(new Set(done.map((d) => d.id)), new Set(ids));
    const expected = lines.map((_, i) => sumRange(i, i * 1_000_003).toString()).sort();
    assertEquals(done.map((d) => String(d.result)).sort(), expected);
    for (const worker of workers) {
      assertEquals(worker.events("task.dead"), []);
      assertEquals(worker.events("task.failed"), []);
    }
    assertEquals(
      workers.filter((w) => w.events("task.done").length > 0).length,
      3,
      "all 3 took work",
    );
  } finally {
    // Only stop the workers here: an assertion in `finally` would hide the failure above.
    for (const worker of workers) worker.kill("SIGTERM");
    exits = await Promise.all(workers.map((worker) => worker.exit()));
  }
  for (const exit of exits) assertEquals(exit.code, 0);
});
