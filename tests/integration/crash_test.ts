import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { BROKER_HEADERS, HEADERS } from "../../src/wire/headers.ts";
import { Producer } from "../../src/producer/producer.ts";
import { catalog } from "../../tasks/mod.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { WorkerProcess } from "../_helpers/cli.ts";
import { drainQueue, queueDepth } from "../_helpers/probe.ts";

const TASK_MS = 2_000;

Deno.test("a task whose worker is SIGKILLed mid-task is redelivered and done once by another worker", async () => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  const args = ["--queue", queue, "--log-level", "debug"];
  await using doomed = new WorkerProcess(args);
  await doomed.started();

  const producer = await Producer.connect(catalog, { url: TEST_URL, queue });
  let id: string;
  try {
    id = (await producer.enqueue("sleep", { ms: TASK_MS })).id;
  } finally {
    await producer.close();
  }
  await doomed.waitFor(
    (lines) => lines.some((l) => l.event === "task.started" && l.id === id),
    "the task to start on the first worker",
  );

  // Killed right after the task started, well within TASK_MS; the survivor starts only once
  // the doomed worker is gone (the broker has requeued the task, marked redelivered), so how
  // fast a worker starts does not eat into the task's time.
  doomed.kill("SIGKILL");
  assertEquals((await doomed.exit()).signal, "SIGKILL");
  assertEquals(doomed.events("task.done"), [], "the killed worker never finished it");

  await using survivor = new WorkerProcess(args);
  await survivor.started();

  await survivor.waitFor(
    (lines) => lines.some((l) => l.event === "task.done" && l.id === id),
    "the survivor to finish the task",
    TASK_MS * 5,
  );
  // A classic queue does not count redeliveries, so the survivor first republishes the
  // redelivered message with a count header (task.returned), then runs that copy.
  const mine = survivor.lines.filter((l) => l.id === id).map((l) => l.event);
  assertEquals(mine, ["task.returned", "task.started", "task.done"]);
  const [returned] = survivor.events("task.returned");
  assertStringIncludes(String(returned?.reason), "redelivered");
  const [started] = survivor.events("task.started");
  assertEquals(started?.attempt, 1, "a crash is not a failed attempt");
  const [done] = survivor.events("task.done");
  assertEquals(done?.result, { slept: TASK_MS });

  // Once the survivor has stopped, nothing of the task is left anywhere: it was done once.
  survivor.kill("SIGTERM");
  assertEquals((await survivor.exit()).code, 0);
  assertEquals(survivor.events("task.done").filter((l) => l.id === id).length, 1);
  assertEquals(await queueDepth(client, queue), 0);
  assertEquals(await queueDepth(client, `${queue}.dead`), 0);
  assert(survivor.events("task.dead").length === 0, "nothing dead-lettered");
});

Deno.test("a task is redelivered after its worker dies, and dead-lettered at the --max-redeliveries-th death", async (t) => {
  // The same number of runs on every queue type and broker: Warren counts the deaths itself on a
  // classic queue, the broker does on a quorum queue (x-delivery-count; on RabbitMQ 4.3
  // x-acquired-count, as x-delivery-count no longer counts what a consumer timeout took back).
  for (const queueType of ["classic", "quorum"] as const) {
    await t.step(queueType, async () => {
      const queue = uniqueQueue(`warren_crash_${queueType}`);
      await using client = await rawClient();
      client.track(queue);
      const args = [
        "--queue",
        queue,
        "--queue-type",
        queueType,
        "--log-level",
        "debug",
        "--max-redeliveries",
        "2",
      ];
      const startedOrDead = (worker: WorkerProcess, id: string) =>
        worker.waitFor(
          (lines) =>
            lines.some((l) =>
              l.id === id && (l.event === "task.started" || l.event === "task.dead")
            ),
          "the task to start or be dead-lettered",
        );

      await using first = new WorkerProcess(args);
      await first.started();
      const producer = await Producer.connect(catalog, { url: TEST_URL, queue, queueType });
      let id: string;
      try {
        id = (await producer.enqueue("sleep", { ms: 60_000 })).id;
      } finally {
        await producer.close();
      }
      await startedOrDead(first, id);

      // First death: below the limit of 2, so the task runs again.
      await using second = new WorkerProcess(args);
      await second.started();
      first.kill("SIGKILL");
      await first.exit();
      await startedOrDead(second, id);
      assertEquals(second.events("task.dead"), [], "one death is below --max-redeliveries 2");
      assertEquals(second.events("task.started").map((l) => l.id), [id]);

      // Second death: the README's "after N such redeliveries, Q.dead": dead-lettered, not run.
      await using third = new WorkerProcess(args);
      await third.started();
      second.kill("SIGKILL");
      await second.exit();
      await startedOrDead(third, id);
      assertEquals(third.events("task.started"), []);
      const [dead] = third.events("task.dead");
      assertEquals([dead?.id, dead?.reason], [id, "worker-died"]);
      const [letter] = await drainQueue(client, `${queue}.dead`);
      assert(letter, "a dead letter");
      assertEquals(letter.properties.messageId, id);
      const headers = letter.properties.headers ?? {};
      assertEquals(headers[HEADERS.reason], "worker-died");
      assertEquals(headers[HEADERS.error], "worker died while running it 2 times");
      assertEquals(headers[HEADERS.attempts], 2);
      if (queueType === "classic") assertEquals(headers[HEADERS.redeliveries], 2);
      // The broker's own counts stay behind (a copy that carried them would start counted): a
      // quorum Q.dead read for the first time says 0 on RabbitMQ 3.10, nothing on 4.x.
      for (const name of BROKER_HEADERS) {
        assert(
          [undefined, 0].includes(headers[name] as number | undefined),
          `${name}: ${headers[name]}`,
        );
      }
    });
  }
});
