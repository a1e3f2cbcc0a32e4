/**
 * The scheduler on a real broker: fires with deterministic ids, keeps its state in the broker,
 * hands the lead over when it closes (a standby takes it at once and makes every fire of the
 * gap), follows `missed` after an outage, retries a fire the broker refuses, and
 * `admin.ts schedules` shows it all; the CLI's usage errors.
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
  options: { electionInterval?: number; handoverWindow?: number } = {},
) {
  const events: SchedulerEvent[] = [];
  const scheduler = await Scheduler.start(catalog, schedules, {
    url: TEST_URL,
    queue,
    queueType,
    id,
    electionInterval: 200,
    ...options,
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
    handover: { by: string; at: string } | null;
    schedules: {
      name: string;
      lastFire: string | null;
      nextFire: string | null;
      refused: { id: string; reason: string; attempts: number } | null;
    }[];
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

for (const queueType of ["classic", "quorum"] as const) {
  Deno.test(`of two schedulers one leads; closed, it hands over and the other makes every fire of the gap (${queueType})`, async () => {
    const queue = uniqueQueue(`warren_sched_pair_${queueType}`);
    await using client = await rawClient();
    client.track(queue);
    const skipTick = { ...tick, missed: "skip" as const };
    // The standby's own tries are rare (one a minute): it can only take over within the test's
    // deadlines when the handover wakes it.
    const first = await startScheduler(queue, "first", [skipTick], queueType);
    await until(() => fired(first.events).length >= 1, "the first to lead and fire", 5_000);
    const second = await startScheduler(queue, "second", [skipTick], queueType, {
      electionInterval: 60_000,
    });
    try {
      await until(
        () => second.events.some((e) => e.event === "scheduler.standby"),
        "the second to stand by",
        5_000,
      );
      await until(() => fired(first.events).length >= 2, "two fires", 10_000);
      assertEquals(second.scheduler.leading, false);
      const during = await adminSchedules(queue);
      assertEquals([during.active, during.leader], [true, "first"]);
      await first.scheduler.close();
      await until(() => fired(second.events).length >= 2, "the second, woken, to fire", 10_000);
    } finally {
      await first.scheduler.close();
      await second.scheduler.close();
    }
    const standby = second.events.find((e) => e.event === "scheduler.standby");
    assertEquals(standby, { event: "scheduler.standby", scheduler: "second", leader: "first" });
    const handover = first.events.find((e) => e.event === "scheduler.handover");
    assert(handover?.event === "scheduler.handover", JSON.stringify(first.events));
    assertEquals(handover.lastFires, { tick: fired(first.events).at(-1)!.slice(5) });
    const ids = [...fired(first.events), ...fired(second.events)];
    assertEquals(new Set(ids).size, ids.length, `no fire twice: ${ids.join(" ")}`);
    const times = ids.map((id) => Date.parse(id.slice("tick@".length))).sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      assertEquals(times[i]! - times[i - 1]!, 1_000, `no fire missing: ${ids.join(" ")}`);
    }
    assertEquals(second.events.filter((e) => e.event === "schedule.missed"), []);
    const leading = second.events.findIndex((e) => e.event === "scheduler.leading");
    assert(leading >= 0, "the second took the lead");
    const messages = await drainQueue(client, queue);
    assertEquals(messages.map((m) => m.properties.messageId).sort(), [...ids].sort());
  });
}

Deno.test("a scheduler closed and started again within the handover window makes every fire of the gap, even under 'skip'", async () => {
  const queue = uniqueQueue("warren_sched_restart");
  await using client = await rawClient();
  client.track(queue);
  const skipTick = { ...tick, missed: "skip" as const };
  const before = await startScheduler(queue, "r1", [skipTick]);
  try {
    await until(() => fired(before.events).length >= 2, "two fires", 10_000);
  } finally {
    await before.scheduler.close();
  }
  const stopped = await adminSchedules(queue);
  assertEquals([stopped.active, stopped.handover?.by], [false, "r1"]);
  // The gap under test: no scheduler runs until two more fires fell due.
  const last = Date.parse(fired(before.events).at(-1)!.slice(5));
  await until(() => Date.now() > last + 2_100, "two fires due with no scheduler", 5_000);
  const after = await startScheduler(queue, "r1", [skipTick]);
  try {
    await until(() => fired(after.events).length >= 3, "the catch-up and a fire", 10_000);
  } finally {
    await after.scheduler.close();
  }
  assertEquals(after.events.filter((e) => e.event === "schedule.missed"), []);
  const ids = [...fired(before.events), ...fired(after.events)];
  const times = ids.map((id) => Date.parse(id.slice("tick@".length)));
  for (let i = 1; i < times.length; i++) {
    assertEquals(times[i]! - times[i - 1]!, 1_000, `every fire once, in order: ${ids.join(" ")}`);
  }
  const messages = await drainQueue(client, queue);
  assertEquals(messages.map((m) => m.properties.messageId), ids);
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
  // The downtime under test: no scheduler runs for 3.2 s, so at least 3 fires are missed; a
  // handover window of 1 s makes that an outage although the last one closed on purpose.
  await new Promise((resolve) => setTimeout(resolve, 3_200));
  const after = await startScheduler(queue, "after", schedules, "classic", {
    handoverWindow: 1_000,
  });
  try {
    await until(() => after.events.some((e) => e.event === "schedule.fired"), "a fire", 10_000);
  } finally {
    await after.scheduler.close();
  }
  const missed = after.events.flatMap((e) => e.event === "schedule.missed" ? [e] : []);
  assertEquals(missed.map((e) => [e.schedule, e.policy, e.cause]), [
    ["once", "once", "outage"],
    ["skip", "skip", "outage"],
  ]);
  for (const event of missed) assertGreaterOrEqual(event.count, 3);
  const catchUp = after.events.find((e) => e.event === "schedule.fired");
  assert(
    catchUp?.event === "schedule.fired" && catchUp.schedule === "once",
    JSON.stringify(catchUp),
  );
  assertEquals(catchUp.id, `once@${missed[0]!.latest}`);
  await drainQueue(client, queue);
});

Deno.test("a fire to a deleted work queue is refused, reported and tried again with its id until it lands once", async () => {
  const queue = uniqueQueue("warren_sched_refused");
  await using client = await rawClient();
  client.track(queue);
  const { scheduler, events } = await startScheduler(queue, "s1", [{ ...tick, missed: "skip" }]);
  let refused: string | undefined;
  try {
    await until(() => fired(events).length >= 1, "a fire", 10_000);
    await client.channel.deleteQueue(queue);
    await until(() => events.some((e) => e.event === "schedule.refused"), "a refusal", 10_000);
    const first = events.find((e) => e.event === "schedule.refused");
    assert(first?.event === "schedule.refused");
    refused = first.id;
    assertEquals([first.reason, first.attempts], ["unroutable", 1]);
    await until(
      () => events.filter((e) => e.event === "schedule.refused" && e.id === refused).length >= 2,
      "a second try, refused too",
      10_000,
    );
    const report = await adminSchedules(queue);
    assertEquals(report.schedules[0]?.refused?.id, refused);
    assertEquals(report.schedules[0]?.refused?.reason, "unroutable");
    await client.channel.assertQueue(queue, { durable: true });
    await until(() => fired(events).includes(refused!), "the refused fire to land", 15_000);
    await until(
      () => fired(events).length >= fired(events).indexOf(refused!) + 3,
      "later fires",
      10_000,
    );
  } finally {
    await scheduler.close();
  }
  const ids = fired(events);
  assertEquals(new Set(ids).size, ids.length, `no fire twice: ${ids.join(" ")}`);
  const landed = events.find((e) => e.event === "schedule.fired" && e.id === refused);
  assert(landed?.event === "schedule.fired" && landed.attempts >= 3, JSON.stringify(landed));
  // From the refused fire on, every fire is in the (new) queue once, in order.
  const after = ids.slice(ids.indexOf(refused!));
  const messages = await drainQueue(client, queue);
  assertEquals(messages.map((m) => m.properties.messageId), after);
  const times = after.map((id) => Date.parse(id.slice("tick@".length)));
  for (let i = 1; i < times.length; i++) assertEquals(times[i]! - times[i - 1]!, 1_000);
  assertEquals(events.filter((e) => e.event === "schedule.missed"), []);
});

Deno.test("a fire nacked by a full work queue (reject-publish) is retried with its id until it lands once", async () => {
  const queue = uniqueQueue("warren_sched_nacked");
  await using client = await rawClient();
  client.track(queue);
  // A queue that holds one message and nacks the next: adopted by the scheduler as it is.
  await client.channel.assertQueue(queue, {
    durable: true,
    arguments: { "x-max-length": 1, "x-overflow": "reject-publish" },
  });
  const { scheduler, events } = await startScheduler(queue, "s1", [{ ...tick, missed: "skip" }]);
  const taken: string[] = [];
  let nacked: string | undefined;
  try {
    await until(
      () => events.some((e) => e.event === "schedule.refused" && e.reason === "nacked"),
      "a nacked fire",
      10_000,
    );
    const refusal = events.find((e) => e.event === "schedule.refused");
    assert(refusal?.event === "schedule.refused");
    nacked = refusal.id;
    // Make room, one message at a time, until the nacked fire and two after it have landed.
    await until(
      async () => {
        const message = await client.channel.get(queue, { noAck: true });
        if (message) taken.push(String(message.properties.messageId));
        return taken.includes(nacked!) && taken.length >= taken.indexOf(nacked!) + 3;
      },
      "the nacked fire and two more to land",
      20_000,
      100,
    );
  } finally {
    await scheduler.close();
  }
  taken.push(...(await drainQueue(client, queue)).map((m) => String(m.properties.messageId)));
  const ids = fired(events);
  assertEquals(taken, ids, "every confirmed fire is in the queue once, in order");
  const landed = events.find((e) => e.event === "schedule.fired" && e.id === nacked);
  assert(landed?.event === "schedule.fired" && landed.attempts >= 2, JSON.stringify(landed));
  const times = ids.map((id) => Date.parse(id.slice("tick@".length)));
  for (let i = 1; i < times.length; i++) {
    assertEquals(times[i]! - times[i - 1]!, 1_000, ids.join(" "));
  }
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
    assertEquals(worker.events("scheduler.handover").length, 1);
    assertEquals(worker.events("scheduler.stopped").length, 1);
  } finally {
    await Deno.remove(file);
  }
});
