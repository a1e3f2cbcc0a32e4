import { assert, assertEquals, assertLessOrEqual, assertStringIncludes } from "@std/assert";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { enqueuedIds, PRODUCER_FLAGS, runCli, type RunResult } from "../_helpers/cli.ts";
import { drainQueue, queueDepth } from "../_helpers/probe.ts";

/** The ids a successful run printed, one `enqueued <task> <id>` line per task. */
function printedIds(result: RunResult, task = "sum"): string[] {
  assertEquals(result.code, 0, result.stderr);
  return result.stdout.trim().split("\n").map((line) => {
    const match = /^enqueued (\S+) (\S+)$/.exec(line);
    assert(match, `unexpected stdout line: ${line}`);
    assertEquals(match[1], task);
    return match[2]!;
  });
}

/** Asserts a usage failure: exit 2, nothing on stdout, and `words` in the one-line error. */
function assertUsage(result: RunResult, ...words: string[]): void {
  assertEquals(result.code, 2, `expected exit 2: ${result.stdout} ${result.stderr}`);
  assertEquals(result.stdout, "");
  assert(result.stderr.startsWith("error: "), result.stderr);
  for (const word of words) assertStringIncludes(result.stderr, word);
  assert(!/^\s+at /m.test(result.stderr), `no stack trace: ${result.stderr}`);
}

Deno.test("producer CLI prints help and exits 0", async (t) => {
  await t.step("--help lists the tasks and options", async () => {
    const result = await runCli("producer.ts", ["--help"]);
    assertEquals(result.code, 0, result.stderr);
    for (const word of ["sum", "primes", "sha256", "sleep", "--count", "--file", "--queue"]) {
      assertStringIncludes(result.stdout, word);
    }
  });

  await t.step("sum --help lists its fields as flags", async () => {
    const result = await runCli("producer.ts", ["sum", "--help"]);
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, "--start");
    assertStringIncludes(result.stdout, "--end");
  });
});

Deno.test("producer CLI exits 2 on bad input and publishes nothing", async (t) => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  const dir = await Deno.makeTempDir({ prefix: "warren-producer-cli-" });
  const readable = [...PRODUCER_FLAGS, `--allow-read=${dir}`];
  const q = ["--queue", queue];

  try {
    await t.step("an unknown task", async () => {
      assertUsage(await runCli("producer.ts", ["resize", "--width", "3", ...q]), "resize", "sum");
    });

    await t.step("an unknown flag", async () => {
      const args = ["sum", "--start", "1", "--end", "2", "--bogus", "3", ...q];
      assertUsage(await runCli("producer.ts", args), "--bogus");
    });

    await t.step("a value that is not a number", async () => {
      const args = ["sum", "--start", "one", "--end", "2", ...q];
      assertUsage(await runCli("producer.ts", args), "--start", "'one'");
    });

    await t.step("an end below the start, named by its flag", async () => {
      const args = ["sum", "--start", "5", "--end", "1", ...q];
      const result = await runCli("producer.ts", args);
      assertUsage(result, "--end: end must be greater than or equal to start");
      assertStringIncludes(result.stderr, "\nRun 'producer.ts sum --help' for usage.");
    });

    await t.step("a missing field names its flag, then the task's help", async () => {
      const result = await runCli("producer.ts", ["sum", "--start", "1", ...q]);
      assertEquals(
        result.stderr,
        [
          "error: Invalid payload for task 'sum': --end is required",
          "Run 'producer.ts sum --help' for usage.",
          "",
        ].join("\n"),
      );
      assertUsage(result);
    });

    await t.step("a payload refused in --json ends with the help line too", async () => {
      const result = await runCli("producer.ts", ["--json", '{"task":"sum","start":1}', ...q]);
      assertUsage(result, "end:", "Run 'producer.ts --help' for usage.");
    });

    await t.step("--json that is not an object", async () => {
      assertUsage(await runCli("producer.ts", ["--json", "[1, 2]", ...q]), "--json", "object");
      assertUsage(await runCli("producer.ts", ["sum", "--json", "12", ...q]), "--json", "object");
      assertUsage(await runCli("producer.ts", ["--json", "{oops", ...q]), "--json", "JSON");
    });

    await t.step("--file with a bad line names the file and the line", async () => {
      const path = `${dir}/tasks.jsonl`;
      await Deno.writeTextFile(
        path,
        [
          '{"task":"sum","start":1,"end":2}',
          '{"task":"sum","start":3,"end":4}',
          '{"task":"sum","start":9,"end":1}',
          '{"task":"sum","start":5,"end":6}',
        ].join("\n") + "\n",
      );
      const result = await runCli("producer.ts", ["--file", path, ...q], { flags: readable });
      assertUsage(result, `${path}:3:`, "end", "nothing was published");
    });

    await t.step("--file - with a bad line names stdin and the line", async () => {
      const stdin = '{"task":"sum","start":1,"end":2}\nnot json\n';
      const result = await runCli("producer.ts", ["--file", "-", ...q], { stdin });
      assertUsage(result, "stdin:2:");
    });

    await t.step("--file naming a missing file", async () => {
      const path = `${dir}/missing.jsonl`;
      const result = await runCli("producer.ts", ["--file", path, ...q], { flags: readable });
      assertUsage(result, path);
    });

    await t.step("--file without read permission names the flag to add", async () => {
      const path = `${dir}/tasks.jsonl`;
      assertUsage(await runCli("producer.ts", ["--file", path, ...q]), `--allow-read=${path}`);
    });

    // Every input was refused before connecting: the queue was never even declared.
    assertEquals(await queueDepth(client, queue), undefined, "nothing reached the broker");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("producer CLI publishes tasks from flags, --json, --file - and --count", async (t) => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  const q = ["--queue", queue];
  const bodies = async () =>
    (await drainQueue(client, queue)).map((m) => ({
      id: m.properties.messageId,
      body: JSON.parse(m.content.toString()),
    }));

  await t.step("--count 5 publishes 5 tasks with distinct ids", async () => {
    const ids = printedIds(
      await runCli("producer.ts", ["sum", "--start", "1", "--end", "2", "--count", "5", ...q]),
    );
    assertEquals(new Set(ids).size, 5);
    const got = await bodies();
    assertEquals(got.map((m) => m.id), ids);
    for (const m of got) assertEquals(m.body, { task: "sum", start: 1, end: 2 });
  });

  await t.step("--json with a whole task", async () => {
    const json = '{"task":"sum","start":1,"end":3}';
    const [id] = printedIds(await runCli("producer.ts", ["--json", json, ...q]));
    assertEquals(await bodies(), [{ id, body: { task: "sum", start: 1, end: 3 } }]);
  });

  await t.step("sum --json with the payload", async () => {
    const [id] = printedIds(
      await runCli("producer.ts", ["sum", "--json", '{"start":2,"end":4}', ...q]),
    );
    assertEquals(await bodies(), [{ id, body: { task: "sum", start: 2, end: 4 } }]);
  });

  await t.step("--file - reads the tasks from stdin, skipping blank lines", async () => {
    const stdin = '{"task":"sum","start":1,"end":1}\n\n{"task":"sleep","ms":0}\r\n' +
      '{"task":"sum","start":2,"end":2}';
    const result = await runCli("producer.ts", ["--file", "-", ...q], { stdin });
    assertEquals(result.code, 0, result.stderr);
    const got = await bodies();
    assertEquals(got.map((m) => m.body), [
      { task: "sum", start: 1, end: 1 },
      { task: "sleep", ms: 0 },
      { task: "sum", start: 2, end: 2 },
    ]);
    assertEquals(
      enqueuedIds(result.stdout),
      got.map((m) => m.id),
    );
  });
});

Deno.test("producer CLI takes the queue from --queue, else from WARREN_QUEUE", async () => {
  const fromEnv = uniqueQueue();
  const fromFlag = uniqueQueue();
  await using client = await rawClient();
  client.track(fromEnv, fromFlag);
  const env = { WARREN_QUEUE: fromEnv };
  const args = ["sum", "--start", "1", "--end", "2"];

  const [envId] = printedIds(await runCli("producer.ts", args, { env }));
  const [flagId] = printedIds(await runCli("producer.ts", [...args, "--queue", fromFlag], { env }));
  assertEquals((await drainQueue(client, fromEnv)).map((m) => m.properties.messageId), [envId]);
  assertEquals((await drainQueue(client, fromFlag)).map((m) => m.properties.messageId), [flagId]);
});

Deno.test("producer CLI exits 1 with a one-line error, password hidden, when no broker answers", async () => {
  const url = "amqp://user:secret@localhost:1";
  const result = await runCli("producer.ts", ["sum", "--start", "1", "--end", "2", "--url", url], {
    flags: ["--allow-net=localhost:5672,localhost:1", "--allow-env=AMQP_URL,WARREN_QUEUE"],
  });
  assertEquals(result.code, 1, result.stderr);
  assertEquals(result.stdout, "");
  assert(!result.stderr.includes("secret"), `the password leaked: ${result.stderr}`);
  assert(!/^\s+at /m.test(result.stderr), `no stack trace: ${result.stderr}`);
  const errors = result.stderr.split("\n").filter((line) => line.startsWith("error: "));
  assertEquals(errors.length, 1, result.stderr);
  assertStringIncludes(errors[0]!, "amqp://user:***@localhost:1");
  assertLessOrEqual(result.stderr.trim().split("\n").length, 5, "a few lines at most");
});
