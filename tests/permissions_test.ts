/**
 * The CLIs under Deno's permissions: each works with exactly the README's flags, and each
 * permission it lacks is reported in at most two lines naming the flag to add (no stack trace).
 */
import {
  assert,
  assertEquals,
  assertLessOrEqual,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import { rawClient, uniqueQueue } from "./_helpers/broker.ts";
import {
  ADMIN_FLAGS,
  PRODUCER_FLAGS,
  rootPath,
  runCli,
  type RunResult,
  WORKER_FLAGS,
  WorkerProcess,
} from "./_helpers/cli.ts";
import { freePort } from "./_helpers/ports.ts";

type Cli = "producer.ts" | "worker.ts" | "admin.ts";

const ENV_ONLY = ["--allow-env=AMQP_URL,WARREN_QUEUE"];
const NET_ONLY = ["--allow-net=localhost:5672"];
const OTHER_HOST = ["--allow-net=127.0.0.1:5672", "--allow-env=AMQP_URL,WARREN_QUEUE"];

/** Asserts a one- or two-line error naming `flag`, with no stack trace. */
function assertExplains(result: RunResult, flag: string): void {
  const { code, stderr } = result;
  assert(code !== 0, `expected a failure, got exit 0; stderr: ${stderr}`);
  const lines = stderr.trimEnd().split("\n");
  assertLessOrEqual(lines.length, 2, `at most 2 lines on stderr, got:\n${stderr}`);
  assertMatch(lines[0]!, /^error: /);
  assertStringIncludes(stderr, flag);
  // The flag as a whole word: `--allow-net=localhost:5672`, not `--allow-net=localhost:56720`.
  const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  assertMatch(stderr, new RegExp(`${escaped}(?![\\w.,/=-]|:\\S)`));
  assert(!/^\s+at /m.test(stderr), `no stack frames:\n${stderr}`);
  assert(!stderr.includes("Uncaught"), `no uncaught error:\n${stderr}`);
}

Deno.test("each CLI works with exactly the README's permission flags", async (t) => {
  const queue = uniqueQueue("warren_perm");
  await using client = await rawClient();
  client.track(queue);

  await t.step("producer.ts enqueues with PRODUCER_FLAGS", async () => {
    const result = await runCli("producer.ts", [
      "sum",
      "--start",
      "1",
      "--end",
      "10000",
      "--queue",
      queue,
    ], {
      flags: PRODUCER_FLAGS,
    });
    assertEquals(result.code, 0, result.stderr);
    assertMatch(result.stdout, /^enqueued sum /);
  });

  await t.step("worker.ts runs the task with WORKER_FLAGS", async () => {
    await using worker = new WorkerProcess(["--queue", queue], { flags: WORKER_FLAGS });
    await worker.waitForEvents("task.done", 1);
    assertEquals(worker.events("task.done")[0]?.result, "50005000");
    worker.kill("SIGTERM");
    assertEquals((await worker.exit()).code, 0);
  });

  await t.step("--url and --queue stand in for --allow-env", async () => {
    const result = await runCli(
      "producer.ts",
      ["sum", "--start", "1", "--end", "2", "--url", "amqp://localhost:5672", "--queue", queue],
      { flags: NET_ONLY },
    );
    assertEquals(result.code, 0, result.stderr);
    await using worker = new WorkerProcess(["--url", "amqp://localhost:5672", "--queue", queue], {
      flags: NET_ONLY,
    });
    await worker.waitForEvents("task.done", 1);
    assertEquals(worker.events("task.done")[0]?.result, "3");
    worker.kill("SIGTERM");
    assertEquals((await worker.exit()).code, 0);
  });

  await t.step("admin.ts shows the queue with ADMIN_FLAGS", async () => {
    const result = await runCli("admin.ts", ["status", "--queue", queue], { flags: ADMIN_FLAGS });
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, queue);
  });
});

Deno.test("a missing permission names the flag to add, in at most two lines", async (t) => {
  const queue = uniqueQueue("warren_perm");
  await using client = await rawClient();
  client.track(queue);
  const q = ["--queue", queue];
  const task = ["sum", "--start", "1", "--end", "3"];
  const metricsPort = freePort();
  const dashboardPort = freePort();

  const cases: ReadonlyArray<
    readonly [
      what: string,
      cli: Cli,
      args: readonly string[],
      flags: readonly string[],
      flag: string,
    ]
  > = [
    ["worker.ts without --allow-env", "worker.ts", [], NET_ONLY, "--allow-env=AMQP_URL"],
    [
      "worker.ts --url without --allow-env",
      "worker.ts",
      ["--url", "amqp://localhost:5672"],
      NET_ONLY,
      "--allow-env=WARREN_QUEUE",
    ],
    ["producer.ts without --allow-env", "producer.ts", task, NET_ONLY, "--allow-env=AMQP_URL"],
    [
      "producer.ts --url without --allow-env",
      "producer.ts",
      [...task, "--url", "amqp://localhost:5672"],
      NET_ONLY,
      "--allow-env=WARREN_QUEUE",
    ],
    ["worker.ts without --allow-net", "worker.ts", q, ENV_ONLY, "--allow-net=localhost:5672"],
    [
      "producer.ts without --allow-net",
      "producer.ts",
      [...task, ...q],
      ENV_ONLY,
      "--allow-net=localhost:5672",
    ],
    [
      "worker.ts with --allow-net for another host",
      "worker.ts",
      q,
      OTHER_HOST,
      "--allow-net=localhost:5672",
    ],
    [
      "producer.ts with --allow-net for another host",
      "producer.ts",
      [...task, ...q],
      OTHER_HOST,
      "--allow-net=localhost:5672",
    ],
    [
      "producer.ts to 127.0.0.1 with --allow-net for localhost",
      "producer.ts",
      [...task, ...q, "--url", "amqp://127.0.0.1:5672"],
      PRODUCER_FLAGS,
      "--allow-net=127.0.0.1:5672",
    ],
    [
      "producer.ts --file without --allow-read",
      "producer.ts",
      ["--file", "x.jsonl", ...q],
      PRODUCER_FLAGS,
      "--allow-read=x.jsonl",
    ],
    [
      "worker.ts --threads without --allow-read",
      "worker.ts",
      ["--threads", "2", ...q],
      WORKER_FLAGS,
      `--allow-read=${rootPath("")}`,
    ],
    [
      "worker.ts --metrics-port without net permission for it",
      "worker.ts",
      ["--metrics-port", String(metricsPort), ...q],
      WORKER_FLAGS,
      `--allow-net=127.0.0.1:${metricsPort}`,
    ],
    ["admin.ts without --allow-env", "admin.ts", ["status"], NET_ONLY, "--allow-env=AMQP_URL"],
    [
      "admin.ts without --allow-net",
      "admin.ts",
      ["status", ...q],
      ENV_ONLY,
      "--allow-net=localhost:5672",
    ],
    [
      "admin.ts dashboard without net permission for its port",
      "admin.ts",
      ["dashboard", ...q, "--port", String(dashboardPort)],
      ADMIN_FLAGS,
      `--allow-net=127.0.0.1:${dashboardPort}`,
    ],
    [
      "admin.ts --management without net permission for it",
      "admin.ts",
      ["status", ...q, "--management", "http://localhost:15672"],
      ADMIN_FLAGS,
      "--allow-net=localhost:15672",
    ],
  ];
  for (const [what, cli, args, flags, flag] of cases) {
    await t.step(`${what}: ${flag}`, async () => {
      const result = await runCli(cli, args, { flags });
      assertEquals(result.code, 2, result.stderr);
      assertExplains(result, flag);
    });
  }
});
