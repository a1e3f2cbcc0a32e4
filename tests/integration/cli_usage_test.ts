/**
 * What a new user hits first, each case as a new user meets it: a virtual host that does not
 * exist, a broker that does not answer, a queue name that Warren owns, a flag given twice,
 * numbers in every form, a queue that does not exist, an unknown dead-letter reason, and the
 * `deno task` and shebang ways of running the CLIs.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { ConnectionError } from "../../src/errors/connection_error.ts";
import { Producer } from "../../src/producer/producer.ts";
import { catalog } from "../../tasks/mod.ts";
import { messageCount, rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { enqueuedIds, PRODUCER_FLAGS, rootPath, runCli } from "../_helpers/cli.ts";
import { freePort } from "../_helpers/ports.ts";
import { YOUNG_GENERATION_V8_FLAG } from "../../scripts/compile.ts";

const sum = ["sum", "--start", "1", "--end", "2"];

Deno.test("a virtual host that does not exist fails at once, saying so", async () => {
  const result = await runCli("producer.ts", [
    ...sum,
    "--url",
    "amqp://guest:guest@localhost:5672/no-such-vhost",
  ]);
  assertEquals(result.code, 1, result.stderr);
  assertStringIncludes(result.stderr, "refused the virtual host 'no-such-vhost'");
  assertStringIncludes(result.stderr, "it does not exist there, or the user may not access it");
  // One attempt, not three with backoff.
  assert(!result.stderr.includes("connection.retry"), `no retries:\n${result.stderr}`);
  assert(!result.stderr.includes("is it running"), result.stderr);
  assert(!result.stderr.includes("guest:guest"), "no password");
});

Deno.test("a broker that does not answer: the retries waited, in order, then one error", async () => {
  const port = freePort();
  const result = await runCli("producer.ts", [...sum, "--url", `amqp://localhost:${port}`], {
    flags: [`--allow-net=localhost:${port}`, "--allow-env=AMQP_URL,WARREN_QUEUE"],
  });
  assertEquals(result.code, 1, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  const retries = lines.filter((line) => line.includes("connection.retry"));
  // Three attempts: a retry line after each of the first two, none after the last.
  assertEquals(retries.length, 2, result.stderr);
  const waited = retries.map((line) => Number(/ delay=(\d+)/.exec(line)?.[1]));
  const ceilings = [200, 400];
  waited.forEach((delay, i) => {
    assert(delay >= ceilings[i]! / 2 && delay <= ceilings[i]!, `delay ${delay} of ${ceilings[i]}`);
  });
  assertEquals(retries.map((line) => / attempt=(\d)/.exec(line)?.[1]), ["1", "2"]);
  const last = lines.at(-2)!;
  assertMatch(
    last,
    /^error: Cannot connect to RabbitMQ at amqp:\/\/localhost:\d+ \(.*\): is it running there\?$/,
  );
  assertEquals(lines.at(-1), "Point AMQP_URL or --url at a broker that is running.");
});

Deno.test("the library's connection error gives library advice, whole", async () => {
  const port = freePort();
  const err = await assertRejects(
    () => Producer.connect(catalog, { url: `amqp://127.0.0.1:${port}` }),
    ConnectionError,
  );
  assertMatch(err.message, /: is it running there\?$/);
  assert(!err.message.includes("--url"), err.message);
  assertEquals(err.unreachable, true);
});

Deno.test("the queue names Warren derives are refused as work queues (exit 2)", async () => {
  for (const queue of ["q1.dead", "q1.retry.1500"]) {
    const result = await runCli("producer.ts", [...sum, "--queue", queue]);
    assertEquals(result.code, 2, result.stderr);
    assertStringIncludes(result.stderr, `Cannot use queue '${queue}' as a work queue`);
    assertStringIncludes(result.stderr, "'q1'");
    for (const cli of ["worker.ts", "admin.ts"] as const) {
      const args = cli === "admin.ts" ? ["status", "--queue", queue] : ["--queue", queue];
      const other = await runCli(cli, args);
      assertEquals(other.code, 2, `${cli}: ${other.stderr}`);
      assertStringIncludes(other.stderr, `Cannot use queue '${queue}' as a work queue`);
    }
  }
});

Deno.test("a flag with a value given twice is refused (exit 2), naming both values", async () => {
  const result = await runCli("producer.ts", ["sum", "--start", "1", "--end", "10", "--end", "20"]);
  assertEquals(result.code, 2, result.stderr);
  assertStringIncludes(result.stderr, "--end was given 2 times ('10', '20'): give it once");
  assertStringIncludes(result.stderr, "Run 'producer.ts sum --help' for usage.");
  const worker = await runCli("worker.ts", ["--prefetch", "1", "--prefetch", "2"]);
  assertEquals(worker.code, 2, worker.stderr);
  assertStringIncludes(worker.stderr, "--prefetch was given 2 times");
});

Deno.test("numbers: the same forms everywhere, and every error worded alike", async (t) => {
  const queue = uniqueQueue("warren_numbers");
  await using client = await rawClient();
  client.track(queue);
  await t.step("--count takes 1e1 as --end takes 1e9", async () => {
    const result = await runCli("producer.ts", [
      "sum",
      "--start",
      "1_000",
      "--end",
      "1e9",
      "--count",
      "1e1",
      "--queue",
      queue,
    ]);
    assertEquals(result.code, 0, result.stderr);
    assertEquals(enqueuedIds(result.stdout).length, 10);
  });
  await t.step("not an integer, not a number, out of bounds: one wording", async () => {
    const cases: Array<[string[], string]> = [
      [["sum", "--start", "1.5", "--end", "2"], "--start must be an integer: got '1.5'"],
      [["sum", "--start", "a", "--end", "2"], "--start must be an integer: got 'a'"],
      [["primes", "--limit", "1e9"], "--limit must be an integer from 0 to 100000000: got '1e9'"],
      [[...sum, "--count", "1.5"], "--count must be an integer from 1 to 1000000: got '1.5'"],
      [[...sum, "--count", "many"], "--count must be an integer from 1 to 1000000: got 'many'"],
      [[...sum, "--count", "1e12"], "--count must be an integer from 1 to 1000000: got '1e12'"],
    ];
    for (const [args, message] of cases) {
      const result = await runCli("producer.ts", [...args, "--queue", queue]);
      assertEquals(result.code, 2, result.stderr);
      assertStringIncludes(result.stderr, `error: ${message}\n`);
    }
  });
});

Deno.test("a queue name with a newline is refused as such (exit 2), not as a connection failure", async () => {
  for (
    const [cli, args] of [["producer.ts", ["sum", "--start", "1", "--end", "2"]], ["admin.ts", [
      "status",
    ]]] as const
  ) {
    const result = await runCli(cli, [...args, "--queue", "jobs\nnext"]);
    assertEquals(result.code, 2, result.stderr);
    assertStringIncludes(
      result.stderr,
      `Cannot use queue "jobs\\nnext" as its name holds the control character U+000A`,
    );
  }
});

Deno.test("a work queue that does not exist: exit 2, the same message from every command", async () => {
  const missing = uniqueQueue("warren_missing");
  const expected =
    `error: Queue '${missing}' does not exist on the broker: check the queue name (--queue or WARREN_QUEUE)\n`;
  for (const args of [["status"], ["purge", "--yes"]]) {
    const result = await runCli("admin.ts", [...args, "--queue", missing]);
    assertEquals(result.code, 2, `${args[0]}: ${result.stderr}`);
    assertEquals(result.stderr, expected, args[0]);
  }
  const dead =
    `error: Queue '${missing}.dead' does not exist on the broker: no worker ever ran on the work queue '${missing}' (workers declare it), or the queue name is wrong: check --queue or WARREN_QUEUE\n`;
  for (const args of [["dead", "list"], ["dead", "replay", "--yes"], ["dead", "purge", "--yes"]]) {
    const result = await runCli("admin.ts", [...args, "--queue", missing]);
    assertEquals(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
    assertEquals(result.stderr, dead, args.join(" "));
  }
});

Deno.test("an unknown dead-letter reason is refused before anything is asked (exit 2)", async () => {
  for (const command of ["list", "replay"]) {
    // No --yes and no terminal: a replay would be refused for want of confirmation; the bad
    // reason is reported first.
    const result = await runCli("admin.ts", ["dead", command, "--reason", "bogus"]);
    assertEquals(result.code, 2, result.stderr);
    assertStringIncludes(result.stderr, "Cannot filter dead letters by reason 'bogus'");
    assertStringIncludes(result.stderr, "failed, non-retryable");
    assert(!result.stderr.includes("confirmation"), result.stderr);
  }
});

Deno.test("usage errors of admin subcommands point to the subcommand's help", async () => {
  const result = await runCli("admin.ts", ["dead", "list", "--bogus"]);
  assertEquals(result.code, 2);
  assertStringIncludes(result.stderr, "Run 'admin.ts dead list --help' for usage.");
});

Deno.test("the README's commands run as deno tasks and as executables", async (t) => {
  const config = JSON.parse(await Deno.readTextFile(rootPath("deno.json"))) as {
    tasks: Record<string, string>;
  };
  const readme = await Deno.readTextFile(rootPath("README.md"));
  for (const cli of ["producer", "worker", "admin", "scheduler"] as const) {
    await t.step(`${cli}: deno task ${cli}, and ./${cli}.ts`, async () => {
      // The producer, the worker and the scheduler may read files of the current folder
      // (--file, --schedules, the worker's thread modules): `deno task` runs in the root.
      // The producer's and the worker's small young generation (scripts/compile.ts) comes first.
      const young = cli === "producer" || cli === "worker" ? [YOUNG_GENERATION_V8_FLAG] : [];
      const flags = cli === "admin"
        ? PRODUCER_FLAGS
        : [...young, ...PRODUCER_FLAGS, "--allow-read=."];
      const command = `deno run ${flags.join(" ")} ${cli}.ts`;
      assertEquals(config.tasks[cli], command, "the README's flags");
      assert(readme.includes(`deno task ${cli}`), `README.md shows 'deno task ${cli}'`);
      const first = (await Deno.readTextFile(rootPath(`${cli}.ts`))).split("\n")[0];
      assertEquals(first, `#!/usr/bin/env -S deno run ${flags.join(" ")}`);
      const task = await new Deno.Command(Deno.execPath(), {
        args: ["task", "--quiet", cli, "--help"],
        cwd: rootPath(""),
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(task.code, 0, new TextDecoder().decode(task.stderr));
      assertStringIncludes(new TextDecoder().decode(task.stdout), "Usage");
      const direct = await new Deno.Command(rootPath(`${cli}.ts`), {
        args: ["--help"],
        env: { PATH: `${Deno.execPath().replace(/\/[^/]*$/, "")}:${Deno.env.get("PATH") ?? ""}` },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(direct.code, 0, new TextDecoder().decode(direct.stderr));
    });
  }
});

/** Runs `command args` in `cwd` with deno on the PATH (for the CLIs' shebang lines). */
async function run(command: string, args: readonly string[], cwd: string) {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args: [...args],
    cwd,
    env: {
      NO_COLOR: "1",
      PATH: `${Deno.execPath().replace(/\/[^/]*$/, "")}:${Deno.env.get("PATH") ?? ""}`,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test("--file reads a file of the current folder as the README writes it", async (t) => {
  const queue = uniqueQueue("warren_file");
  await using client = await rawClient();
  client.track(queue);
  const lines = '{"task":"sum","start":1,"end":2}\n{"task":"sum","start":1,"end":3}\n';

  await t.step("./producer.ts --file tasks.jsonl, in the file's folder", async () => {
    const dir = await Deno.makeTempDir({ prefix: "warren-file-" });
    try {
      await Deno.writeTextFile(`${dir}/tasks.jsonl`, lines);
      const result = await run(rootPath("producer.ts"), [
        "--file",
        "tasks.jsonl",
        "--queue",
        queue,
      ], dir);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(enqueuedIds(result.stdout).length, 2, result.stdout);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("deno task producer --file, relative to the repository's root", async () => {
    const name = `.tasks_${crypto.randomUUID().slice(0, 8)}.jsonl`;
    await Deno.writeTextFile(rootPath(name), lines);
    try {
      const result = await run(Deno.execPath(), [
        "task",
        "--quiet",
        "producer",
        "--file",
        name,
        "--queue",
        queue,
      ], rootPath(""));
      assertEquals(result.code, 0, result.stderr);
      assertEquals(enqueuedIds(result.stdout).length, 2, result.stdout);
    } finally {
      await Deno.remove(rootPath(name));
    }
  });

  await t.step("deno task scheduler --file reads a file of the root", async () => {
    const name = `.schedules_${crypto.randomUUID().slice(0, 8)}.json`;
    await Deno.writeTextFile(rootPath(name), '[{"name": "x"}]');
    try {
      const result = await run(
        Deno.execPath(),
        ["task", "--quiet", "scheduler", "--file", name],
        rootPath(""),
      );
      // Read, then refused for what it holds (not for a permission): no broker is needed.
      assertEquals(result.code, 2, result.stderr);
      assertStringIncludes(result.stderr, `${name}: schedule 1 ("x"): task:`);
    } finally {
      await Deno.remove(rootPath(name));
    }
  });

  await t.step("a file outside the current folder is refused, naming the flag", async () => {
    for (const cli of ["producer", "scheduler"]) {
      const result = await run(Deno.execPath(), [
        "task",
        "--quiet",
        cli,
        "--file",
        "/etc/hostname",
        "--queue",
        queue,
      ], rootPath(""));
      assertEquals(result.code, 2, result.stderr);
      assertStringIncludes(result.stderr, "--allow-read=/etc/hostname");
    }
  });
  assertEquals(await messageCount(client, queue), 4);
});
