/**
 * Scheduler failover, with three `scheduler.ts` replicas running two every-second schedules
 * (one `missed: "skip"`, one `missed: "once"`).
 *
 * A rolling restart: each replica in turn is stopped (SIGTERM) and started again. A leader that
 * is stopped hands over, and the new leader makes every fire of the gap: every fire arrives
 * exactly once, none missing, none doubled, and no fire is reported missed.
 *
 * An outage: for 60 s, the active replica is SIGKILLed twice. The
 * test reads every fire off the work queue and reports, per schedule, the fires missing and
 * duplicated, and the catch-up fires; and the time each failover took (kill to the new leader's
 * `scheduler.leading`). Goals: a new leader within 10 s; no fire missing or duplicated outside
 * the failover windows; at most one catch-up fire per failover under `once`, none under `skip`.
 *
 * A failover window runs from the second before the kill (a fire in flight) to the second after
 * the new leader took over.
 *
 * @module
 */
import { assert, assertEquals, assertLessOrEqual } from "@std/assert";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { type LogLine, rootPath, WORKER_FLAGS, WorkerProcess } from "../_helpers/cli.ts";
import { until } from "../_helpers/probe.ts";

const RUN_MS = 60_000;
const REPLICAS = ["r1", "r2", "r3"];
const KILLS_AT = [20_000, 40_000];
const SECOND = 1_000;

const SCHEDULES = [
  { name: "skip", task: "sleep", payload: { ms: 1 }, every: "1s", missed: "skip" },
  { name: "once", task: "sleep", payload: { ms: 1 }, every: "1s", missed: "once" },
];

/** Waits until `time` (epoch ms): the scenario's own clock, not a wait for a condition. */
async function at(time: number): Promise<void> {
  const wait = time - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

function timeOf(line: LogLine): number {
  return Date.parse(String(line.time));
}

/** A replica of `scheduler.ts` with id `id`, on `queue`, running the schedules of `file`. */
function replica(id: string, queue: string, file: string): WorkerProcess {
  return new WorkerProcess(["--file", file, "--queue", queue, "--id", id], {
    script: rootPath("scheduler.ts"),
    flags: [...WORKER_FLAGS, `--allow-read=${file}`],
  });
}

/** Whether `process` leads now: its last leading or following line says leading. */
function leads(process: WorkerProcess): boolean {
  const last = process.lines.findLast((line) =>
    line.event === "scheduler.leading" || line.event === "scheduler.following"
  );
  return last?.event === "scheduler.leading";
}

/** The fire times of schedule `name` among message ids, with the missing and doubled ones. */
function gaps(ids: readonly string[], name: string) {
  const times = ids.filter((id) => id.startsWith(`${name}@`))
    .map((id) => Date.parse(id.slice(name.length + 1)));
  const counts = new Map<number, number>();
  for (const time of times) counts.set(time, (counts.get(time) ?? 0) + 1);
  const first = Math.min(...times);
  const last = Math.max(...times);
  const missing: number[] = [];
  for (let t = first; t <= last; t += SECOND) if (!counts.has(t)) missing.push(t);
  const duplicates = [...counts].flatMap(([t, n]) => n > 1 ? [t] : []);
  return { counts, first, last, missing, duplicates };
}

const iso = (ts: number[]) =>
  ts.map((t) => new Date(t).toISOString().slice(11, 19)).join(" ") || "none";

Deno.test("a rolling restart of three scheduler replicas, one at a time, loses no fire and doubles none", async () => {
  const queue = uniqueQueue("warren_sched_rolling");
  await using client = await rawClient();
  client.track(queue);
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify(SCHEDULES));
  const running = new Map<string, WorkerProcess>();
  const all: WorkerProcess[] = [];
  const start = (id: string) => {
    const process = replica(id, queue, file);
    running.set(id, process);
    all.push(process);
    return process;
  };
  const received: string[] = [];
  const report: string[] = [];
  try {
    await start("r1").waitForEvents("scheduler.leading", 1, 15_000);
    for (const id of ["r2", "r3"]) await start(id).waitForEvents("scheduler.standby", 1, 15_000);
    await client.channel.consume(queue, (message) => {
      if (message) received.push(String(message.properties.messageId));
    }, { noAck: true });
    await until(() => received.length >= 4, "the first fires", 10_000);
    for (const id of REPLICAS) {
      const old = running.get(id)!;
      const wasLeading = leads(old);
      // Just before a fire time, so that the fire falls due while the lead changes hands.
      await at(Math.ceil((Date.now() + 100) / SECOND) * SECOND - 50);
      const stoppedAt = Date.now();
      old.kill("SIGTERM");
      const { code, stderr } = await old.exit();
      assertEquals(code, 0, stderr);
      if (wasLeading) {
        await until(
          () => [...running].some(([other, p]) => other !== id && leads(p)),
          `a new leader after ${id}`,
          10_000,
        );
        const leader = [...running].find(([other, p]) => other !== id && leads(p))!;
        const leadAt = timeOf(leader[1].events("scheduler.leading").at(-1)!);
        const caughtUp = leader[1].events("schedule.fired").filter((line) =>
          Date.parse(String(line.id).replace(/^[^@]*@/, "")) < leadAt
        ).length;
        report.push(
          `handover ${id} -> ${leader[0]}: ${leadAt - stoppedAt} ms after the SIGTERM; ` +
            `${caughtUp} fires due before the new leader led made by it`,
        );
      }
      const fresh = start(id);
      await fresh.waitForEvents("scheduler.standby", 1, 15_000);
      const before = received.length;
      await until(() => received.length >= before + 4, `fires after restarting ${id}`, 10_000);
    }
    // The standbys first, then the leader: its last handover finds nobody to take over.
    const order = [...running.values()].sort((a, b) => Number(leads(a)) - Number(leads(b)));
    for (const process of order) {
      process.kill("SIGTERM");
      const { code, stderr } = await process.exit();
      assertEquals(code, 0, stderr);
    }
    const logged = all.flatMap((p) => p.events("schedule.fired")).length;
    await until(() => received.length >= logged, "every logged fire on the queue", 10_000);
  } finally {
    for (const process of all) await process[Symbol.asyncDispose]();
    await Deno.remove(file);
  }
  const handovers = all.flatMap((p) => p.events("scheduler.handover"));
  assert(handovers.length >= 3, `${handovers.length} handovers`);
  const standby = all.flatMap((p) => p.events("scheduler.standby"));
  assert(standby.some((line) => typeof line.leader === "string"), JSON.stringify(standby));
  assertEquals(all.flatMap((p) => p.events("schedule.missed")), []);
  for (const { name } of SCHEDULES) {
    const { counts, first, last, missing, duplicates } = gaps(received, name);
    report.push(
      `schedule ${name}: ${counts.size} fires over ${(last - first) / SECOND + 1} s; ` +
        `missing ${missing.length} (${iso(missing)}); duplicates ${duplicates.length} (${
          iso(duplicates)
        })`,
    );
    assertEquals(missing, [], `${name}: fires missing`);
    assertEquals(duplicates, [], `${name}: fires doubled`);
  }
  // deno-lint-ignore no-console
  console.log(report.join("\n"));
});

interface Failover {
  readonly killed: string;
  readonly killedAt: number;
  readonly leader: string;
  readonly leadAt: number;
}

Deno.test("three scheduler replicas, the active one SIGKILLed twice: each new leader follows 'missed'", async () => {
  const queue = uniqueQueue("warren_sched_failover");
  await using client = await rawClient();
  client.track(queue);
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify(SCHEDULES));
  const replicas = new Map<string, WorkerProcess>();
  for (const id of REPLICAS) replicas.set(id, replica(id, queue, file));
  const received: { id: string; at: number }[] = [];
  const failovers: Failover[] = [];
  try {
    const leaderOf = (among: Iterable<string>) =>
      [...among].find((id) => replicas.get(id)!.events("scheduler.leading").length > 0);
    await until(() => leaderOf(replicas.keys()) !== undefined, "a leader", 15_000);
    const start = Date.now();
    await client.channel.consume(queue, (message) => {
      if (message) received.push({ id: String(message.properties.messageId), at: Date.now() });
    }, { noAck: true });
    const alive = new Set(replicas.keys());
    for (const offset of KILLS_AT) {
      await at(start + offset);
      const killed = leaderOf(alive)!;
      const killedAt = Date.now();
      replicas.get(killed)!.kill("SIGKILL");
      alive.delete(killed);
      await until(() => leaderOf(alive) !== undefined, `a leader after killing ${killed}`, 15_000);
      const leader = leaderOf(alive)!;
      const leadAt = timeOf(replicas.get(leader)!.events("scheduler.leading")[0]!);
      failovers.push({ killed, killedAt, leader, leadAt });
    }
    await at(start + RUN_MS);
    for (const id of alive) replicas.get(id)!.kill("SIGTERM");
    for (const id of alive) {
      const { code, stderr } = await replicas.get(id)!.exit();
      assertEquals(code, 0, stderr);
    }
    const logged = [...replicas.values()].flatMap((r) => r.events("schedule.fired")).length;
    await until(() => received.length >= logged, "every logged fire on the queue", 10_000);
  } finally {
    for (const replica of replicas.values()) await replica[Symbol.asyncDispose]();
    await Deno.remove(file);
  }

  const inWindow = (time: number) =>
    failovers.some((f) => time > f.killedAt - SECOND && time <= f.leadAt + SECOND);
  const report: string[] = [];
  for (const f of failovers) {
    const took = f.leadAt - f.killedAt;
    report.push(`failover ${f.killed} -> ${f.leader}: ${took} ms`);
    assertLessOrEqual(
      took,
      10_000,
      `${f.leader} took the lead ${took} ms after ${f.killed} was killed`,
    );
  }
  // An outage is no handover: what a new leader reports missed, it reports as an outage.
  const missedLines = [...replicas.values()].flatMap((r) => r.events("schedule.missed"));
  assertEquals(missedLines.filter((line) => line.cause !== "outage"), []);
  assertEquals([...replicas.values()].flatMap((r) => r.events("scheduler.handover")).length, 1);
  for (const { name, missed } of SCHEDULES) {
    const { counts, first, last, missing, duplicates } = gaps(received.map((r) => r.id), name);
    // A catch-up fire: one a new leader made for a time before it took the lead.
    const catchUps = failovers.map((f) =>
      replicas.get(f.leader)!.events("schedule.fired")
        .filter((line) =>
          line.schedule === name &&
          Date.parse(String(line.id).slice(name.length + 1)) < f.leadAt - SECOND / 2
        )
        .length
    );
    report.push(
      `schedule ${name} (missed: ${missed}): ${counts.size} fires over ${
        (last - first) / SECOND + 1
      } s; ` +
        `missing ${missing.length} (${iso(missing)}); duplicates ${duplicates.length} (${
          iso(duplicates)
        }); ` +
        `catch-up fires per failover ${catchUps.join(", ")}`,
    );
    assertEquals(
      missing.filter((t) => !inWindow(t)),
      [],
      `${name}: fires missing outside the failover windows`,
    );
    assertEquals(
      duplicates.filter((t) => !inWindow(t)),
      [],
      `${name}: fires duplicated outside the failover windows`,
    );
    for (const n of catchUps) {
      assert(n <= (missed === "once" ? 1 : 0), `${name}: ${catchUps.join(", ")} catch-up fires`);
    }
    assert(last - first >= RUN_MS - 5 * SECOND, `${name} fired from ${first} to ${last}`);
  }
  // deno-lint-ignore no-console
  console.log(report.join("\n"));
});
