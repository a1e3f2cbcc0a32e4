/**
 * Scheduler failover: three `scheduler.ts` replicas run two every-second schedules (one
 * `missed: "skip"`, one `missed: "once"`) for 60 s; the active replica is SIGKILLed twice. The
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

interface Failover {
  readonly killed: string;
  readonly killedAt: number;
  readonly leader: string;
  readonly leadAt: number;
}

Deno.test("three scheduler replicas, the active one SIGKILLed twice", async () => {
  const queue = uniqueQueue("warren_sched_failover");
  await using client = await rawClient();
  client.track(queue);
  const file = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(file, JSON.stringify(SCHEDULES));
  const replicas = new Map<string, WorkerProcess>();
  for (const id of ["r1", "r2", "r3"]) {
    replicas.set(
      id,
      new WorkerProcess(["--file", file, "--queue", queue, "--id", id], {
        script: rootPath("scheduler.ts"),
        flags: [...WORKER_FLAGS, `--allow-read=${file}`],
      }),
    );
  }
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
  for (const { name, missed } of SCHEDULES) {
    const times = received.filter((r) => r.id.startsWith(`${name}@`))
      .map((r) => Date.parse(r.id.slice(name.length + 1)));
    const counts = new Map<number, number>();
    for (const time of times) counts.set(time, (counts.get(time) ?? 0) + 1);
    const first = Math.min(...times);
    const last = Math.max(...times);
    const missing: number[] = [];
    for (let t = first; t <= last; t += SECOND) if (!counts.has(t)) missing.push(t);
    const duplicates = [...counts].flatMap(([t, n]) => n > 1 ? [t] : []);
    // A catch-up fire: one a new leader made for a time before it took the lead.
    const catchUps = failovers.map((f) =>
      replicas.get(f.leader)!.events("schedule.fired")
        .filter((line) =>
          line.schedule === name &&
          Date.parse(String(line.id).slice(name.length + 1)) < f.leadAt - SECOND / 2
        )
        .length
    );
    const iso = (ts: number[]) =>
      ts.map((t) => new Date(t).toISOString().slice(11, 19)).join(" ") || "none";
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
