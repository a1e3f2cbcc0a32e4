/**
 * The scheduler on a real broker: fires with deterministic ids, keeps its state in the broker,
 * hands the lead over when it closes, catches up under `once`, and `admin.ts schedules` shows
 * it all; the CLI's usage errors.
 */
import { assert, assertEquals, assertGreaterOrEqual, assertStringIncludes } from "@std/assert";
import type { GetMessage } from "amqplib";
import { queueNames, type QueueType } from "../../src/broker/topology.ts";
import type { SchedulerEvent } from "../../src/scheduler/events.ts";
import { Scheduler } from "../../src/scheduler/scheduler.ts";
import type { Schedule } from "../../src/scheduler/schedule.ts";
import { catalog } from "../../tasks/mod.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { ADMIN_FLAGS, rootPath, runCli, WORKER_FLAGS, WorkerProcess } from "../_helpers/cli.ts";
import { drainQueue, until } from "../_helpers/probe.ts";

const tick: Schedule<typeof catalog> = {
  name: "tick",
  task: "sleep",
  payload: { ms: 1 },
  every: 1_000,
  missed: "once",
};

/** A scheduler with a record of its events. */
async function startScheduler(
  queue: string,
  id: string,
  schedules: readonly Schedule<typeof catalog>[] = [tick],
  queueType: QueueType = "classic",
) {
  const events: SchedulerEvent[] = [];
  const scheduler = await Scheduler.start(catalog, schedules, {
    url: TEST_URL,
    queue,
    queueType,
    id,
    electionInterval: 200,
  });
  scheduler.on("*", (event) => events.push(event));
  return { scheduler, events };
}

function fired(events: readonly SchedulerEvent[]): string[] {
  return events.flatMap((e) => e.event === "schedule.fired" ? [e.id] : []);
}

async function adminSchedules(queue: string) {
  const { code, stdout, stderr } = await runCli("admin.ts", [
    "schedules",
    "--queue",
    queue,
    "--json",
  ]);
  assertEquals(code, 0, stderr);
  return JSON.parse(stdout) as {
    active: boolean;
    leader: string | null;
    schedules: { name: string; lastFire: string | null; nextFire: string | null }[];
  };
}

for (const queueType of ["classic", "quorum"] as const) {
  Deno.test(`a scheduler fires on time with deterministic ids and keeps its state (${queueType})`, async () => {
    const queue = uniqueQueue(`warren_sched_${queueType}`);
    await using client = await rawClient();
    client.track(queue);
    const { scheduler, events } = await startScheduler(queue, "s1", [tick], queueType);
    try {
      await until(() => fired(events).length >= 3, "three fires", 10_000);
    } finally {
      await scheduler.close();
    }
    const ids = fired(events);
    for (const id of ids) assert(/^tick@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/.test(id), id);
    const times = ids.map((id) => Date.parse(id.slice("tick@".length)));
    for (let i = 1; i < times.length; i++) assertEquals(times[i]! - times[i - 1]!, 1_000);
    const messages: GetMessage[] = await drainQueue(client, queue);
    assertEquals(messages.map((m) => m.properties.messageId), ids);
    for (const message of messages) {
      assertEquals(JSON.parse(message.content.toString()), { task: "sleep", ms: 1 });
      assertEquals(message.properties.deliveryMode, 2);
    }
    const report = await adminSchedules(queue);
    assertEquals(report.active, false);
    assertEquals(report.leader, "s1");
    assertEquals(report.schedules.map((s) => [s.name, s.lastFire]), [[
      "tick",
      ids.at(-1)!.slice(5),
    ]]);
  });
}

Deno.test("of two schedulers one leads; when it closes the other takes over and catches up once", async () => {
  const queue = uniqueQueue("warren_sched_pair");
  await using client = await rawClient();
  client.track(queue);
  const first = await startScheduler(queue, "first");
  await until(() => first.scheduler.leading, "the first to lead", 5_000);
  const second = await startScheduler(queue, "second");
  try {
    await until(() => fired(first.events).length >= 2, "two fires", 10_000);
    assertEquals(second.scheduler.leading, false);
    const during = await adminSchedules(queue);
    assertEquals([during.active, during.leader], [true, "first"]);
    await first.scheduler.close();
    await until(() => fired(second.events).length >= 2, "the second to fire", 10_000);
  } finally {
    await first.scheduler.close();
    await second.scheduler.close();
  }
  const ids = [...fired(first.events), ...fired(second.events)];
  assertEquals(new Set(ids).size, ids.length, `no fire twice: ${ids.join(" ")}`);
  const times = ids.map((id) => Date.parse(id.slice("tick@".length))).sort((a, b) => a - b);
  for (let i = 1; i < times.length; i++) {
    assertEquals(times[i]! - times[i - 1]!, 1_000, `no fire missing: ${ids.join(" ")}`);
  }
  const missed = second.events.filter((e) => e.event === "schedule.missed");
  assert(missed.length <= 1, JSON.stringify(missed));
  assertEquals(second.events.filter((e) => e.event === "scheduler.leading").length, 1);
  const messages = await drainQueue(client, queue);
  assertEquals(messages.map((m) => m.properties.messageId).sort(), [...ids].sort());
});

Deno.test("a scheduler that comes back after downtime fires once under 'once', never under 'skip'", async () => {
  const queue = uniqueQueue("warren_sched_missed");
  await using client = await rawClient();
  client.track(queue);
  const schedules: Schedule<typeof catalog>[] = [
    { ...tick, name: "once", missed: "once" },
    { ...tick, name: "skip", missed: "skip" },
  ];
  const before = await startScheduler(queue, "before", schedules);
  try {
    await until(() => fired(before.events).length >= 2, "fires of both", 10_000);
  } finally {
    await before.scheduler.close();
  }
  // The downtime under test: no scheduler runs for 3.2 s, so at least 3 fires are missed.
  await new Promise((resolve) => setTimeout(resolve, 3_200));
  const after = await startScheduler(queue, "after", schedules);
  try {
    await until(() => after.events.some((e) => e.event === "schedule.fired"), "a fire", 10_000);
  } finally {
    await after.scheduler.close();
  }
  const missed = after.events.flatMap((e) => e.event === "schedule.missed" ? [e] : []);
  assertEquals(missed.map((e) => [e.schedule, e.policy]), [["once", "once"], ["skip", "skip"]]);
  for (const event of missed) assertGreaterOrEqual(event.count, 3);
  const catchUp = after.events.find((e) => e.event === "schedule.fired");
  assert(
    catchUp?.event === "schedule.fired" && catchUp.schedule === "once",
    JSON.stringify(catchUp),
  );
  assertEquals(catchUp.id, `once@${missed[0]!.latest}`);
  await drainQueue(client, queue);
});

Deno.test("scheduler.ts: --help, a missing file and a bad entry are usage errors (exit 2)", async () => {
  const run = async (args: string[]) => {
    const command = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...ADMIN_FLAGS, "--allow-read", rootPath("scheduler.ts"), ...args],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    });
    const { code, stdout, stderr } = await command.output();
    return {
      code,
      stdout: new TextDecoder().decode(stdout),
      stderr: new TextDecoder().decode(stderr),
    };
  };
  const help = await run(["--help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "Usage: scheduler.ts --file schedules.json");
  const none = await run([]);
  assertEquals(none.code, 2);
  assertStringIncludes(none.stderr, "give the schedules: --file schedules.json");
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      path,
      JSON.stringify([{ name: "tick", task: "sleep", payload: { ms: "x" }, every: "1s" }]),
    );
    const bad = await run(["--file", path]);
    assertEquals(bad.code, 2);
    assertStringIncludes(bad.stderr, `${path}: schedule 1 ("tick"): payload: `);
  } finally {
    await Deno.remove(path);
  }
  assertEquals(queueNames("q").schedules, "q.schedules");
});

Deno.test("worker.ts --schedules runs a scheduler replica beside the worker", async () => {
  const queue = uniqueQueue("warren_sched_worker");
  await using client = await rawClient();
  client.track(queue);
  const file = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      file,
      JSON.stringify([{ name: "tick", task: "sleep", payload: { ms: 1 }, every: "1s" }]),
    );
    await using worker = new WorkerProcess(["--queue", queue, "--schedules", file], {
      flags: [...WORKER_FLAGS, `--allow-read=${file}`],
    });
    await worker.waitFor(
      (lines) =>
        lines.filter((l) => l.event === "task.done" && String(l.id).startsWith("tick@")).length >=
          2,
      "two scheduled tasks done",
      15_000,
    );
    assertEquals(worker.events("scheduler.leading").length, 1);
    worker.kill("SIGTERM");
    const { code, stderr } = await worker.exit();
    assertEquals(code, 0, stderr);
    assertEquals(worker.events("scheduler.stopped").length, 1);
  } finally {
    await Deno.remove(file);
  }
});
