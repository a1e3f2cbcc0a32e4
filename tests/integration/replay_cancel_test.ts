/**
 * Replaying a cancelled task's dead letter across a real worker: the replay supersedes the
 * cancel (a note in `Q.control`, the copy's `x-warren-replayed`), the worker runs the copy, and
 * the history records the replay; a cancel asked after the replay applies again.
 *
 * @module
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { queueNames } from "../../src/broker/topology.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { enqueuedIds, runCli, WorkerProcess } from "../_helpers/cli.ts";
import { byTask, readHistory, steps } from "../_helpers/history.ts";
import { queueDepth, until } from "../_helpers/probe.ts";

/** Starts a worker with history on, and waits until it consumes. */
async function startWorker(queue: string): Promise<WorkerProcess> {
  const worker = new WorkerProcess(["--queue", queue, "--history"]);
  await worker.started();
  return worker;
}

/** Stops a worker with SIGTERM and waits for it to exit. */
async function stopWorker(worker: WorkerProcess): Promise<void> {
  worker.kill("SIGTERM");
  const { code, stderr } = await worker.exit();
  assertEquals(code, 0, stderr);
}

Deno.test("a replayed cancelled dead letter runs, and the history records the replay", async (t) => {
  const queue = uniqueQueue("warren_replay_cancel");
  const names = queueNames(queue);
  await using client = await rawClient();
  client.track(queue);
  const enqueue = async () => {
    const result = await runCli("producer.ts", [
      "sleep",
      "--ms",
      "10",
      "--delay",
      // Long enough for the admin CLI to start and cancel it first, on a loaded machine too.
      "10s",
      "--history",
      "--queue",
      queue,
    ]);
    assertEquals(result.code, 0, result.stderr);
    return enqueuedIds(result.stdout)[0]!;
  };
  const cancel = async (id: string) => {
    const result = await runCli("admin.ts", ["cancel", id, "--queue", queue]);
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, `${id}: cancel requested`);
  };
  const replay = async () => {
    const result = await runCli("admin.ts", ["dead", "replay", "--yes", "--queue", queue]);
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, "replayed 1 dead letter(s)");
  };
  const history = async (id: string) => steps(byTask(await readHistory(queue)).get(id) ?? []);
  const deadLettered = async (id: string) => {
    await until(
      async () => await queueDepth(client, names.dead) === 1,
      `${id} dead-lettered`,
      40_000,
    );
    assertEquals((await history(id)).at(-1), "cancelled");
  };
  const ran = async (id: string) => {
    await until(async () => (await history(id)).at(-1) === "succeeded 1", `${id} succeeded`);
    const tail = await history(id);
    assertEquals(tail.slice(tail.lastIndexOf("cancelled")), [
      "cancelled",
      "replayed",
      "started 1",
      "succeeded 1",
    ]);
    assertEquals(await queueDepth(client, names.dead), 0);
  };

  let worker = await startWorker(queue);
  try {
    await t.step(
      "a worker started after the replay runs it (it reads the replay note)",
      async () => {
        const id = await enqueue();
        await cancel(id);
        await deadLettered(id);
        await stopWorker(worker);
        await replay();
        worker = await startWorker(queue);
        await ran(id);
        const shown = await runCli("admin.ts", ["task", id, "--queue", queue]);
        assertEquals(shown.code, 0, shown.stderr);
        assertStringIncludes(shown.stdout, "succeeded after 1 attempt");
        assertStringIncludes(shown.stdout, "dead letter (cancelled) moved back to");
      },
    );

    await t.step("a running worker runs it too (it follows Q.control)", async () => {
      const id = await enqueue();
      await cancel(id);
      await deadLettered(id);
      await replay();
      await ran(id);
    });

    await t.step("a cancel asked after the replay applies again", async () => {
      const id = await enqueue();
      await cancel(id);
      await deadLettered(id);
      await stopWorker(worker);
      await replay();
      await cancel(id);
      worker = await startWorker(queue);
      await until(
        async () => await queueDepth(client, names.dead) === 1,
        `${id} cancelled again`,
        40_000,
      );
      assertEquals((await history(id)).slice(-2), ["replayed", "cancelled"]);
    });
  } finally {
    await worker[Symbol.asyncDispose]();
  }
});
