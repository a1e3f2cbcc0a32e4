import { assert, assertEquals, assertGreaterOrEqual } from "@std/assert";
import { prepareTask } from "../../src/task/prepare.ts";
import { Producer } from "../../src/producer/producer.ts";
import { sumRange } from "../../tasks/handlers/sum.ts";
import { catalog } from "../../tasks/mod.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { type LogLine, WorkerProcess } from "../_helpers/cli.ts";
import { until } from "../_helpers/probe.ts";

/** Long enough for 20 short tasks to be published and done beside it on a loaded machine. */
const LONG_MS = 8_000;
const SHORT_TASKS = 20;

const ofTask = (task: string) => (line: LogLine) => line.task === task;

Deno.test("with prefetch 1 a long task on one worker does not hold back the short tasks behind it", async () => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  await using first = new WorkerProcess([
    "--queue",
    queue,
    "--prefetch",
    "1",
    "--log-level",
    "debug",
  ]);
  await using second = new WorkerProcess([
    "--queue",
    queue,
    "--prefetch",
    "1",
    "--log-level",
    "debug",
  ]);
  await first.started();
  await second.started();

  // The long task first, then the short ones, in one stream of confirmed publishes.
  const producer = await Producer.connect(catalog, { url: TEST_URL, queue });
  const shortIds: string[] = [];
  let longId: string;
  try {
    longId = (await producer.enqueue("sleep", { ms: LONG_MS })).id;
    const shorts = Array.from(
      { length: SHORT_TASKS },
      (_, i) => prepareTask(catalog, "sum", { start: i, end: i * 1_000 }),
    );
    const summary = await producer.publishAll(shorts, (outcome) => {
      if (!(outcome instanceof Error)) shortIds.push(outcome.id);
    });
    assertEquals(summary.failed, []);
  } finally {
    await producer.close();
  }

  // Whichever worker the broker gave the long task to, the other one must do every short task.
  const started = (w: WorkerProcess) => w.events("task.started").filter(ofTask("sleep"));
  await until(
    () => started(first).length + started(second).length > 0,
    "the long task to start on a worker",
  );
  const [busy, free] = started(first).length > 0 ? [first, second] : [second, first];
  assertEquals(started(busy).map((l) => l.id), [longId]);

  await free.waitFor(
    (lines) =>
      lines.filter((l) => l.event === "task.done" && l.task === "sum").length >= SHORT_TASKS,
    `${SHORT_TASKS} short tasks done on the free worker`,
    LONG_MS * 3,
  );
  // At this point the long task must still be running: nothing waited behind it.
  assertEquals(busy.events("task.done"), [], "the long task is still running");
  assertEquals(busy.events("task.started").filter(ofTask("sum")), [], "no short task on it");

  const shortDone = free.events("task.done").filter(ofTask("sum"));
  assertEquals(new Set(shortDone.map((l) => l.id)), new Set(shortIds));
  assertEquals(shortDone.length, SHORT_TASKS, "each short task done once");
  assertEquals(
    shortDone.map((l) => String(l.result)).sort(),
    Array.from({ length: SHORT_TASKS }, (_, i) => sumRange(i, i * 1_000).toString()).sort(),
  );
  assertEquals(free.events("task.started").filter(ofTask("sleep")), [], "the long task ran once");

  await busy.waitFor(
    (lines) => lines.some((l) => l.event === "task.done" && l.id === longId),
    "the long task to finish",
    LONG_MS * 3,
  );
  const [longDone] = busy.events("task.done");
  assert(longDone);
  assertGreaterOrEqual(Number(longDone.ms), LONG_MS);
  const lastShort = shortDone.map((l) => String(l.time)).sort().at(-1);
  assert(lastShort !== undefined && String(longDone.time) > lastShort, "long task done last");

  for (const worker of [first, second]) {
    worker.kill("SIGTERM");
    assertEquals((await worker.exit()).code, 0);
  }
});
