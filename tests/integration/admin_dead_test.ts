/**
 * `admin.ts dead list` and `admin.ts dead replay` as subprocesses against the shared broker.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { DeadLetterList } from "../../src/admin/dead_letters.ts";
import { HEADERS } from "../../src/wire/headers.ts";
import { queueNames } from "../../src/broker/topology.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { putDeadLetters } from "../_helpers/dead_letters.ts";
import { ADMIN_FLAGS, runCli, WorkerProcess } from "../_helpers/cli.ts";
import { drainQueue, queueDepth } from "../_helpers/probe.ts";
import { runInTerminal, scriptInstalled } from "../_helpers/terminal.ts";

const terminal = await scriptInstalled();
if (!terminal) {
  console.warn("admin_dead_test: util-linux 'script' is not installed; a terminal step is skipped");
}

/** Runs `dead list --json` and returns the list. */
async function list(queue: string, ...extra: string[]): Promise<DeadLetterList> {
  const result = await runCli("admin.ts", ["dead", "list", "--json", "--queue", queue, ...extra]);
  assertEquals(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as DeadLetterList;
}

Deno.test("admin dead list shows dead letters with their reasons and removes none", async (t) => {
  const queue = uniqueQueue("warren_admin");
  const names = queueNames(queue);
  await using client = await rawClient();
  client.track(queue);

  await t.step("dead letters made by a real worker, and one after failed attempts", async () => {
    await using worker = new WorkerProcess(["--queue", queue, "--id", "lister-1"]);
    await worker.started();
    client.channel.sendToQueue(queue, Buffer.from('{"task":"sum","start":9,"end":1}'), {
      messageId: "bad-range",
    });
    client.channel.sendToQueue(queue, Buffer.from('{"task":"resize","width":3}'), {
      messageId: "unknown",
    });
    client.channel.sendToQueue(queue, Buffer.from("sum 1 10"), { messageId: "not-json" });
    await worker.waitForEvents("task.dead", 3);
  });
  await putDeadLetters(client, names.dead, [{
    id: "failed-1",
    body: '{"task":"sleep","ms":1}',
    error: "upstream timed out",
  }]);
  const before = await queueDepth(client, names.dead);
  assertEquals(before, 4);

  await t.step("--json: every field, in queue order, and the count unchanged", async () => {
    const got = await list(queue);
    assertEquals(got.queue, names.dead);
    assertEquals(got.total, 4);
    assertEquals(
      got.messages.map((m) => [m.id, m.task, m.reason, m.worker]),
      [
        ["bad-range", "sum", "invalid-payload", "lister-1"],
        ["unknown", "resize", "unknown-task", "lister-1"],
        ["not-json", null, "not-json", "lister-1"],
        ["failed-1", "sleep", "failed", "host-a-42"],
      ],
    );
    assertStringIncludes(got.messages[0]!.error ?? "", "end");
    assertEquals(got.messages[3]!.attempts, 4);
    assertEquals(got.messages[3]!.error, "upstream timed out");
    assertEquals(got.messages[3]!.when, "2025-06-01T10:00:07.000Z");
    assert(!Number.isNaN(Date.parse(got.messages[0]!.when ?? "")), "when of a worker's letter");
    assertEquals(got.messages[2]!.body, "sum 1 10");
    assertEquals(await queueDepth(client, names.dead), before, "nothing removed");
  });

  await t.step("--limit 2 shows the first two; the order stays the same afterwards", async () => {
    const first = await list(queue, "--limit", "2");
    assertEquals(first.total, 4);
    assertEquals(first.messages.map((m) => m.id), ["bad-range", "unknown"]);
    const again = await list(queue);
    assertEquals(
      again.messages.map((m) => m.id),
      ["bad-range", "unknown", "not-json", "failed-1"],
      "a classic queue puts requeued messages back in their places",
    );
    assertEquals(await queueDepth(client, names.dead), before);
  });

  await t.step("the text table shows task, id, reason, attempts, worker and error", async () => {
    const result = await runCli("admin.ts", ["dead", "list", "--queue", queue]);
    assertEquals(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assertEquals(lines[0], `${names.dead}: 4 dead letter(s); showing 4, all left in the queue`);
    assertEquals(lines[1]!.split(/\s+/), [
      "WHEN",
      "TASK",
      "ID",
      "REASON",
      "ATTEMPTS",
      "WORKER",
      "ERROR",
    ]);
    assertEquals(
      lines[5]!.split(/\s+/),
      [
        "2025-06-01T10:00:07.000Z",
        "sleep",
        "failed-1",
        "failed",
        "4",
        "host-a-42",
        "upstream",
        "timed",
        "out",
      ],
    );
    assertEquals(await queueDepth(client, names.dead), before);
  });

  await t.step("a queue with no dead-letter queue is an error naming it (exit 2)", async () => {
    const missing = uniqueQueue("warren_admin_none");
    const result = await runCli("admin.ts", ["dead", "list", "--queue", missing]);
    assertEquals(result.code, 2, result.stderr);
    assertStringIncludes(result.stderr, `'${missing}.dead' does not exist`);
  });
});

Deno.test("admin dead replay moves dead letters back, attempts reset, and they complete", async (t) => {
  const queue = uniqueQueue("warren_admin");
  const names = queueNames(queue);
  await using client = await rawClient();
  client.track(queue);
  await putDeadLetters(client, names.dead, [
    { id: "sum-a", body: '{"task":"sum","start":1,"end":100}' },
    { id: "sleep-b", body: '{"task":"sleep","ms":1}' },
    { id: "sum-c", body: '{"task":"sum","start":1,"end":10}' },
    { id: "garbage", body: "sum 1 10", reason: "not-json", error: "body is not JSON" },
  ]);
  const q = ["--queue", queue];
  const replay = (...args: string[]) => runCli("admin.ts", ["dead", "replay", ...q, ...args]);

  await t.step(
    "without --yes and without a terminal: refused (exit 2), nothing moved",
    async () => {
      const result = await replay("--task", "sum");
      assertEquals(result.code, 2, result.stderr);
      assertStringIncludes(result.stderr, "add --yes");
      assertEquals(await queueDepth(client, names.dead), 4);
      assertEquals(await queueDepth(client, queue), undefined, "the work queue was not even made");
    },
  );

  await t.step(
    "--task sleep replays only the sleep task; the others keep their order",
    async () => {
      const result = await replay("--task", "sleep", "--yes");
      assertEquals(result.code, 0, result.stderr);
      const lines = result.stdout.trimEnd().split("\n");
      assertEquals(lines[0], "replayed sleep sleep-b");
      assertStringIncludes(lines[1]!, "replayed 1 dead letter(s)");
      assertEquals(await queueDepth(client, queue), 1);
      assertEquals((await list(queue)).messages.map((m) => m.id), ["sum-a", "sum-c", "garbage"]);
    },
  );

  await t.step("the copy keeps id, body and properties, without attempt headers", async () => {
    const [copy] = await drainQueue(client, queue);
    assert(copy, "a copy in the work queue");
    assertEquals(copy.properties.messageId, "sleep-b");
    assertEquals(copy.content.toString(), '{"task":"sleep","ms":1}');
    assertEquals(copy.properties.type, "sleep");
    assertEquals(copy.properties.timestamp, 1_700_000_000);
    assertEquals(copy.properties.deliveryMode, 2);
    const headers = copy.properties.headers ?? {};
    for (
      const name of ["attempts", "redeliveries", "reason", "error", "firstFailure", "lastFailure"]
    ) {
      const header = HEADERS[name as keyof typeof HEADERS];
      assertEquals(headers[header], undefined, header);
    }
    assertEquals(headers["x-tenant"], "acme", "other headers are kept");
    // Put it back (the drain took it), for the worker below.
    client.channel.sendToQueue(queue, copy.content, copy.properties);
  });

  await t.step("--id replays exactly that dead letter", async () => {
    const result = await replay("--id", "sum-c", "--yes");
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, "replayed sum sum-c\n");
    assertStringIncludes(result.stdout, "replayed 1 dead letter(s)");
    assertEquals((await list(queue)).messages.map((m) => m.id), ["sum-a", "garbage"]);
  });

  await t.step({
    name: "on a terminal it asks, naming the filter; an answer other than yes moves nothing",
    ignore: !terminal,
    fn: async () => {
      const result = await runInTerminal("admin.ts", ["dead", "replay", "--task", "sum", ...q], {
        flags: ADMIN_FLAGS,
        input: "n\n",
      });
      assertEquals(result.code, 2, result.output);
      assertStringIncludes(
        result.output,
        `Type yes to replay the dead letters of task 'sum' among 2 in ${names.dead} to ${queue}: `,
      );
      assertEquals((await list(queue)).messages.map((m) => m.id), ["sum-a", "garbage"]);
    },
  });

  await using worker = new WorkerProcess(q);
  await t.step("a worker runs the replayed tasks from their first attempt", async () => {
    await worker.waitForEvents("task.done", 2);
    const done = worker.events("task.done");
    assertEquals(done.map((l) => l.id).sort(), ["sleep-b", "sum-c"]);
    for (const line of done) assertEquals(line.attempt, 1, `${line.id} starts again at attempt 1`);
    assertEquals(done.find((l) => l.id === "sum-c")!.result, "55");
  });

  await t.step("--limit 1 without filters replays the first; the rest is left", async () => {
    const result = await replay("--limit", "1", "--yes");
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, "replayed sum sum-a\n");
    await worker.waitFor(
      (lines) => lines.some((l) => l.event === "task.done" && l.id === "sum-a"),
      "sum-a done",
    );
    assertEquals((await list(queue)).messages.map((m) => m.id), ["garbage"]);
  });

  await t.step("a replayed body that still cannot run comes back to the dead letters", async () => {
    const result = await replay("--yes");
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, "replayed 1 dead letter(s)");
    await worker.waitForEvents("task.dead", 1);
    const [dead] = worker.events("task.dead");
    assertEquals([dead!.id, dead!.reason], ["garbage", "not-json"]);
    const [letter] = (await list(queue)).messages;
    assertEquals([letter!.id, letter!.reason, letter!.attempts], ["garbage", "not-json", 0]);
  });

  await t.step("an empty dead-letter queue: nothing to replay, exit 0", async () => {
    await drainQueue(client, names.dead);
    const result = await replay("--yes");
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, "replayed 0 dead letters");
  });
});
