/**
 * The admin CLI as a subprocess against the shared broker: help and usage errors, and `status`
 * over AMQP (passive declares), once and with --watch. Dead letters: admin_dead_test.ts;
 * purges: admin_purge_test.ts; the management API: admin_management_test.ts.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { QueueStatus, StatusReport } from "../../src/admin/status.ts";
import { queueNames, streamOptions } from "../../src/broker/topology.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { ADMIN_FLAGS, rootPath, runCli, type RunResult, WorkerProcess } from "../_helpers/cli.ts";
import { runInTerminal, scriptInstalled } from "../_helpers/terminal.ts";

/** Asserts a usage failure: exit 2, nothing on stdout, `words` in the error. */
function assertUsage(result: RunResult, ...words: string[]): void {
  assertEquals(result.code, 2, `expected exit 2: ${result.stdout} ${result.stderr}`);
  assertEquals(result.stdout, "");
  assert(result.stderr.startsWith("error: "), result.stderr);
  for (const word of words) assertStringIncludes(result.stderr, word);
}

/** Runs `status --json` and returns the report. */
async function status(queue: string, ...extra: string[]): Promise<StatusReport> {
  const result = await runCli("admin.ts", ["status", "--json", "--queue", queue, ...extra]);
  assertEquals(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as StatusReport;
}

/** The row of `name` in a report. */
function row(report: StatusReport, name: string): QueueStatus {
  const found = report.queues.find((q) => q.name === name);
  assert(found, `no row for ${name} in ${JSON.stringify(report.queues)}`);
  return found;
}

Deno.test("admin CLI prints help for itself and each command, and exits 0", async () => {
  const cases: Array<[string[], string[]]> = [
    [["--help"], ["status", "dead list", "dead replay", "dead purge", "purge", "--yes"]],
    [["--help"], ["dead list [--task NAME] [--id ID] [--reason R] [--limit N] [--json]"]],
    [["status", "--help"], ["--watch", "--json", "--management", "n/a", "passive declare"]],
    [["dead", "--help"], ["list", "replay", "purge", "--task NAME", "--id ID", "--reason R"]],
    [["dead", "list", "--help"], ["--limit", "order is unchanged", "redelivered", "quorum"]],
    [["dead", "replay", "--help"], ["--task", "--id", "--limit", "--yes", "x-warren-attempts"]],
    [["dead", "purge", "--help"], ["Q.dead", "--yes", "type yes"]],
    [["purge", "-h"], ["work queue", "--yes", "type yes"]],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli("admin.ts", args)));
  results.forEach((result, i) => {
    const [args, words] = cases[i]!;
    assertEquals(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
    for (const word of words) assertStringIncludes(result.stdout, word, args.join(" "));
  });
});

Deno.test("admin CLI exits 2 on misuse before touching the broker", async () => {
  const results = await Promise.all([
    runCli("admin.ts", []),
    runCli("admin.ts", ["stats"]),
    runCli("admin.ts", ["dead"]),
    runCli("admin.ts", ["dead", "show"]),
    runCli("admin.ts", ["status", "--bogus"]),
    runCli("admin.ts", ["dead", "list", "--limit", "0"]),
    runCli("admin.ts", ["status", "--management", "localhost:15672"]),
    runCli("admin.ts", ["status", "extra"]),
    runCli("admin.ts", ["status", "--interval", "1s"]),
  ]);
  const expected = [
    ["name a command"],
    ["unknown command 'stats'"],
    ["list, replay or purge"],
    ["unknown dead-letter command 'show'"],
    ["--bogus"],
    ["--limit", "'0'"],
    ["--management", "http://HOST:15672"],
    ["unexpected argument 'extra'"],
    ["--interval needs --watch"],
  ];
  results.forEach((result, i) => assertUsage(result, ...expected[i]!));
});

Deno.test("admin status counts what the producer enqueued, and the worker attached", async (t) => {
  const queue = uniqueQueue("warren_admin");
  const names = queueNames(queue);
  await using client = await rawClient();
  client.track(queue);

  await t.step("5 tasks and no worker: ready 5, consumers 0; unacked and rates n/a", async () => {
    const produced = await runCli("producer.ts", [
      "sum",
      "--start",
      "1",
      "--end",
      "9",
      "--count",
      "5",
      "--quiet",
      // No history stream: the streams have a step of their own below.
      "--no-history",
      "--queue",
      queue,
    ]);
    assertEquals(produced.code, 0, produced.stderr);
    const report = await status(queue);
    assertEquals(report.source, "amqp");
    assertEquals(report.queue, queue);
    const main = row(report, queue);
    assertEquals(
      [main.exists, main.ready, main.consumers, main.unacked, main.publishRate, main.deliverRate],
      [true, 5, 0, null, null, null],
    );
    assert(report.notes.some((note) => note.includes("n/a")), report.notes.join("\n"));
  });

  await t.step(
    "the text table says where the numbers came from and that AMQP lacks some",
    async () => {
      const result = await runCli("admin.ts", ["status", "--queue", queue]);
      assertEquals(result.code, 0, result.stderr);
      const lines = result.stdout.split("\n");
      assertStringIncludes(lines[0]!, "AMQP passive declares");
      assertEquals(lines[1]!.split(/\s+/), [
        "QUEUE",
        "READY",
        "UNACKED",
        "CONSUMERS",
        "PUBLISH/S",
        "DELIVER/S",
      ]);
      assertEquals(lines[2]!.split(/\s+/), [queue, "5", "n/a", "0", "n/a", "n/a"]);
      assertStringIncludes(result.stdout, "unacked messages and rates are n/a");
      assert(!result.stdout.includes("Warren 0.1"), "no note of Warren 0.1's queues over AMQP");
      assert(!result.stdout.includes("stream"), "no streams, no note of them");
    },
  );

  await t.step("a stream's READY is said to count the readers' markers too", async () => {
    await client.channel.assertQueue(
      names.control,
      streamOptions({ maxAgeMs: 3_600_000, maxBytes: 10_000_000 }),
    );
    try {
      const result = await runCli("admin.ts", ["status", "--queue", queue]);
      assertEquals(result.code, 0, result.stderr);
      assert(result.stdout.includes(`\n${names.control} `), result.stdout);
      assertStringIncludes(result.stdout, `${names.control}: 0 message(s) read since`);
      assertStringIncludes(
        result.stdout,
        "note: a stream's READY is every message it keeps, the markers its readers append to find its end included; the lines below count messages without them",
      );
    } finally {
      await client.channel.deleteQueue(names.control);
    }
  });

  await t.step("delayed tasks are counted in the delay levels that exist", async () => {
    // 1 h is 36,000 units of 100 ms: the levels up to 15 (2^15 units) exist, and the tasks wait
    // in the highest one of them for now.
    const delayed = await runCli("producer.ts", [
      "sum",
      "--start",
      "1",
      "--end",
      "9",
      "--count",
      "2",
      "--delay",
      "1h",
      "--quiet",
      "--no-history",
      "--queue",
      queue,
    ]);
    assertEquals(delayed.code, 0, delayed.stderr);
    const report = await status(queue);
    const levels = Array.from({ length: 16 }, (_, k) => names.wait(k));
    assertEquals(report.queues.map((q) => q.name), [queue, ...levels, names.dead]);
    assertEquals(row(report, names.wait(15)).ready, 2);
    assertEquals(row(report, names.wait(15)).delayMs, 2 ** 15 * 100);
    assertEquals(report.delayed, 2);
    assertEquals(row(report, queue).ready, 5, "the delayed tasks are not in the queue yet");
    const text = await runCli("admin.ts", ["status", "--queue", queue]);
    assertStringIncludes(text.stdout, "delayed: 2 task(s) waiting in the delay queues");
  });

  await t.step("a worker attached: consumers 1, and the tasks are gone", async () => {
    await using worker = new WorkerProcess(["--queue", queue]);
    await worker.waitForEvents("task.done", 5);
    const report = await status(queue);
    const main = row(report, queue);
    assertEquals([main.ready, main.consumers], [0, 1]);
    assertEquals(row(report, names.dead).exists, true, "the worker declared the dead queue");
  });
});

/** Starts `admin.ts status --watch` with `args`; resolves with the first `count` stdout lines. */
async function watchLines(args: readonly string[], count: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...ADMIN_FLAGS, rootPath("admin.ts"), "status", "--watch", ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines: string[] = [];
  let rest = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while (lines.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += value;
    const parts = rest.split("\n");
    rest = parts.pop()!;
    lines.push(...parts);
  }
  child.kill("SIGINT");
  await reader.cancel();
  const { code } = await child.status;
  return { lines, code, stderr: await stderr };
}

Deno.test("admin status --watch refreshes until Ctrl-C", async (t) => {
  const queue = uniqueQueue("warren_admin");
  await using client = await rawClient();
  client.track(queue);
  await client.channel.assertQueue(queue, { durable: true });

  await t.step("--json: one JSON object per refresh, exit 0 on SIGINT", async () => {
    const { lines, code, stderr } = await watchLines(
      ["--json", "--interval", "200ms", "--queue", queue],
      3,
    );
    assertEquals(code, 0, stderr);
    assertEquals(lines.length, 3, stderr);
    const reports = lines.map((line) => JSON.parse(line) as StatusReport);
    for (const report of reports) assertEquals(row(report, queue).ready, 0);
    assertEquals(new Set(reports.map((r) => r.at)).size, 3, "three separate readings");
    const span = Date.parse(reports[2]!.at) - Date.parse(reports[0]!.at);
    assert(span >= 400, `two intervals passed between three readings, not ${span} ms`);
  });

  await t.step("text, not on a terminal: one table after another, no escape codes", async () => {
    const { lines, code } = await watchLines(["--interval", "200ms", "--queue", queue], 20);
    assertEquals(code, 0);
    assert(lines.filter((l) => l.startsWith(`Queue '${queue}'`)).length >= 2, lines.join("\n"));
    assert(!lines.join("\n").includes("\x1b["), "no ANSI codes when stdout is not a terminal");
  });

  const terminal = await scriptInstalled();
  await t.step({
    name: "text on a terminal: redrawn in place (cursor up, clear), until Ctrl-C",
    ignore: !terminal,
    fn: async () => {
      const result = await runInTerminal(
        "admin.ts",
        ["status", "--watch", "--interval", "200ms", "--queue", queue],
        {
          flags: ADMIN_FLAGS,
          interruptAfterOutput: (out) => out.split(`Queue '${queue}'`).length > 3,
        },
      );
      assertEquals(result.code, 0, result.output);
      assertStringIncludes(result.output, "\x1b[J", "clears below the cursor");
      const cursorUp = new RegExp(`${"\x1b"}\\[\\d+A`);
      assert(cursorUp.test(result.output), "moves the cursor up over the last table");
      assertStringIncludes(result.output, "Ctrl-C to stop");
    },
  });
  if (!terminal) console.warn("admin_test: util-linux 'script' is not installed; skipped a step");
});

Deno.test("admin status exits 1 with a one-line error when no broker answers", async () => {
  const result = await runCli("admin.ts", ["status", "--url", "amqp://u:secret@localhost:1"], {
    flags: ["--allow-net=localhost:5672,localhost:1", "--allow-env=AMQP_URL,WARREN_QUEUE"],
  });
  assertEquals(result.code, 1, result.stderr);
  assertEquals(result.stdout, "");
  assert(!result.stderr.includes("secret"), result.stderr);
  assertStringIncludes(result.stderr, "error: ");
  assertStringIncludes(result.stderr, "localhost:1");
});
