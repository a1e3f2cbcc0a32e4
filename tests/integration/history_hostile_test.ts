/**
 * Events that anyone who may publish a task can write, put straight into a real `Q.events`: a
 * task name that is a number, a retry without its error, a payload nested 20,000 deep, a 16 MB
 * error. The admin CLI (as subprocesses) still lists and shows the other tasks, says how many
 * events it skipped, and `status` counts them; the dashboard's feed stays small.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Buffer } from "node:buffer";
import { queueNames } from "../../src/broker/topology.ts";
import { EVENT_TYPE } from "../../src/wire/events.ts";
import { type RawClient, rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { enqueuedIds, runCli } from "../_helpers/cli.ts";
import { startDashboard } from "../_helpers/dashboard.ts";
import { until } from "../_helpers/probe.ts";

/** Publishes a raw event body for task `id` to `stream`, confirmed. */
async function putEvent(client: RawClient, stream: string, id: string, body: string) {
  const channel = await client.connection.createConfirmChannel();
  try {
    channel.publish("", stream, Buffer.from(body), {
      correlationId: id,
      type: EVENT_TYPE,
      contentType: "application/json",
    });
    await channel.waitForConfirms();
  } finally {
    await channel.close();
  }
}

Deno.test("hostile events in Q.events are skipped and counted; every other task still shows", async (t) => {
  const queue = uniqueQueue("warren_hostile");
  const names = queueNames(queue);
  await using client = await rawClient();
  client.track(queue);
  const enqueue = async () => {
    const result = await runCli("producer.ts", [
      "sum",
      "--start",
      "1",
      "--end",
      "3",
      "--history",
      "--queue",
      queue,
    ]);
    assertEquals(result.code, 0, result.stderr);
    return enqueuedIds(result.stdout)[0]!;
  };
  const [plain, target, long] = [await enqueue(), await enqueue(), await enqueue()];
  const at = new Date().toISOString();
  const event = (fields: Record<string, unknown>) =>
    JSON.stringify({ v: 1, id: target, task: "sum", at, ...fields });
  // Each writable by anyone who may publish a task.
  await putEvent(client, names.events, target, event({ event: "started", task: 5, attempt: 1 }));
  await putEvent(
    client,
    names.events,
    target,
    event({ event: "retried", attempt: 1, worker: "w" }),
  );
  const deep = `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`;
  await putEvent(
    client,
    names.events,
    target,
    `{"v":1,"event":"enqueued","id":"${target}","task":"sum","at":"${at}","payload":${deep}}`,
  );
  await putEvent(
    client,
    names.events,
    target,
    // 16 MB: under RabbitMQ 4's largest message (16 MiB), far over a reader's bound (1 MiB).
    event({ event: "dead", worker: "w", reason: "failed", error: "e".repeat(16_000_000) }),
  );
  // Within the read bound, but far longer than any view shows.
  await putEvent(
    client,
    names.events,
    long,
    JSON.stringify({
      v: 1,
      id: long,
      task: "sum",
      at,
      event: "dead",
      worker: "w\x1b[2J",
      reason: "failed",
      error: `boom\x1b]0;owned\x07${"x".repeat(900_000)}`,
    }),
  );

  await t.step("admin.ts tasks lists every task and says 3 events were skipped", async () => {
    const result = await runCli("admin.ts", ["tasks", "--since", "10m", "--queue", queue]);
    assertEquals(result.code, 0, result.stderr);
    for (const id of [plain, target, long]) assertStringIncludes(result.stdout, id);
    assertStringIncludes(result.stdout, "note: 3 event(s) could not be read and were skipped");
    assertStringIncludes(result.stdout, "1 not-an-event, 1 too-deep, 1 too-large");
    assert(result.stdout.length < 20_000, `${result.stdout.length} characters printed`);
    assert(!result.stdout.includes("\x1b"), "no raw escape printed");
    const json = await runCli("admin.ts", ["tasks", "--since", "10m", "--json", "--queue", queue]);
    assertEquals(json.code, 0, json.stderr);
    assertEquals((JSON.parse(json.stdout) as unknown[]).length, 3);
    assertStringIncludes(json.stderr, "3 skipped");
  });

  await t.step("admin.ts task shows the attacked task from what it could read", async () => {
    const result = await runCli("admin.ts", ["task", target, "--queue", queue]);
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, `Task ${target} (sum)`);
    assertStringIncludes(result.stdout, "(not recorded)");
    assertStringIncludes(result.stdout, "note: 3 event(s) of this task could not be read");
    const other = await runCli("admin.ts", ["task", plain, "--queue", queue]);
    assertEquals(other.code, 0, other.stderr);
    assertStringIncludes(other.stdout, "queued");
    assert(!other.stdout.includes("note:"), other.stdout);
  });

  await t.step("admin.ts task cuts a 900 KB error unless --full, and escapes it", async () => {
    const cut = await runCli("admin.ts", ["task", long, "--queue", queue]);
    assertEquals(cut.code, 0, cut.stderr);
    assert(cut.stdout.length < 5_000, `${cut.stdout.length} characters printed`);
    assertStringIncludes(cut.stdout, "…[cut: 900014 characters in all]");
    assertStringIncludes(cut.stdout, "boom\\x1b]0;owned\\x07");
    assert(!cut.stdout.includes("\x1b"), "no raw escape printed");
    const full = await runCli("admin.ts", ["task", long, "--full", "--queue", queue]);
    assertEquals(full.code, 0, full.stderr);
    assert(full.stdout.includes("x".repeat(900_000)));
    assert(!full.stdout.includes("\x1b"), "no raw escape printed");
  });

  await t.step("admin.ts status counts what readers skip in Q.events", async () => {
    const result = await runCli("admin.ts", ["status", "--queue", queue]);
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(
      result.stdout,
      `${names.events}: 8 message(s) read since`,
    );
    assertStringIncludes(result.stdout, "3 skipped (1 not-an-event, 1 too-deep, 1 too-large");
    const json = await runCli("admin.ts", ["status", "--json", "--queue", queue]);
    const report = JSON.parse(json.stdout) as {
      streams: { name: string; read: number; skipped: { count: number } }[];
    };
    assertEquals(report.streams.map((s) => [s.name, s.read, s.skipped.count]), [
      [names.events, 8, 3],
    ]);
  });

  await t.step(
    "the dashboard's feed and task page stay small; the full text on request",
    async () => {
      await using dashboard = await startDashboard(["--queue", queue, "--interval", "200ms"]);
      const get = async (path: string) => {
        const response = await fetch(new URL(path, dashboard.url));
        const text = await response.text();
        assertEquals(response.status, 200, text.slice(0, 500));
        return text;
      };
      // The feed answers while it reads the stream: asked again until it has read it.
      type FeedAnswer = { tasks: { id: string }[]; skipped: { count: number }; reading: boolean };
      let feed = "";
      await until(async () => {
        feed = await get(`/api/queues/${queue}/tasks`);
        return !(JSON.parse(feed) as FeedAnswer).reading;
      }, "the dashboard's feed to read the stream");
      assert(feed.length < 20_000, `the feed sent ${feed.length} bytes`);
      const answer = JSON.parse(feed) as FeedAnswer;
      assertEquals(answer.tasks.map((task) => task.id).sort(), [plain, target, long].sort());
      assertEquals(answer.skipped.count, 3);
      const page = await get(`/api/queues/${queue}/tasks/${long}`);
      assert(page.length < 20_000, `the task page sent ${page.length} bytes`);
      assertEquals((JSON.parse(page) as { record: { cut: boolean } }).record.cut, true);
      const full = JSON.parse(await get(`/api/queues/${queue}/tasks/${long}?full=1`)) as {
        record: { error: string };
      };
      assertEquals(full.record.error.length, 900_014);
      const attacked = JSON.parse(await get(`/api/queues/${queue}/tasks/${target}`)) as {
        record: { skipped: { count: number } };
      };
      assertEquals(attacked.record.skipped.count, 3);
    },
  );
});
