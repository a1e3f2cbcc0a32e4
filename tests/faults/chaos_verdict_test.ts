/**
 * The chaos suite's verdict, row by row, on hand-made ledgers (no broker): what it calls lost,
 * stuck, early, an unexplained duplicate or a wrong outcome, and, as much, what it must not call
 * so (a failure it reports has to be a real one).
 */
import { assertEquals } from "@std/assert";
import {
  ChaosLedger,
  type LogRecord,
  type NewTask,
  type WorkerRef,
} from "../_helpers/chaos/ledger.ts";
import { judge, settleBound, spread } from "../_helpers/chaos/verdict.ts";

const Q = "chaos_test_q";
const S = 30_000;

/** A ledger on a fake clock, a worker whose log lines the test writes, and helpers. */
function bench() {
  let now = 1_000_000;
  const ledger = new ChaosLedger(() => now);
  const lines: LogRecord[] = [];
  const worker: WorkerRef = { name: "w1", queue: Q, killedAt: undefined, events: [] };
  const other: LogRecord[] = [];
  const worker2: WorkerRef = { name: "w2", queue: Q, killedAt: undefined, events: [] };
  ledger.follow({ lines }, worker);
  ledger.follow({ lines: other }, worker2);
  const log = (to: LogRecord[], at: number, event: string, fields: Record<string, unknown>) =>
    to.push({ time: new Date(at).toISOString(), event, ...fields });
  return {
    ledger,
    worker,
    worker2,
    get now() {
      return now;
    },
    set now(value: number) {
      now = value;
    },
    /** Publishes a task now and confirms it 5 ms later. */
    publish(task: Partial<NewTask> & { id: string }) {
      ledger.publishing({
        queue: Q,
        kind: "plain",
        expected: { outcome: "succeeded" },
        delay: 0,
        backoff: 0,
        ...task,
      });
      now += 5;
      ledger.confirmed(task.id);
    },
    start: (at: number, id: string, attempt = 1, to = lines) =>
      log(to, at, "task.started", { id, attempt }),
    done: (at: number, id: string, to = lines) => log(to, at, "task.done", { id }),
    fail: (at: number, id: string, attempt: number, retryIn?: number, to = lines) => {
      log(to, at, "chaos.failing", { id, attempt });
      if (retryIn !== undefined) log(to, at + 2, "task.failed", { id, attempt, retryIn });
    },
    /** A failure only the worker's `task.failed` line tells of (logged after the retry's publish). */
    failedLine: (at: number, id: string, attempt: number, retryIn: number, to = lines) =>
      log(to, at, "task.failed", { id, attempt, retryIn }),
    dead: (at: number, id: string, reason: string) => log(lines, at, "task.dead", { id, reason }),
    judge: (leftovers: ReadonlyMap<string, string> = new Map()) =>
      judge(ledger, { stuckAfterMs: S, leftovers, epoch: 1_000_000 }),
    lines,
    other,
  };
}

Deno.test("settleBound() is stuckAfterMs past due, pushed past the broker's return by a restart before it", () => {
  const task = { due: 10_000, confirmedAt: 1_000 };
  assertEquals(settleBound(task, [], S), 40_000);
  assertEquals(
    settleBound(task, [{ kind: "kill", downAt: 20_000, backAt: 50_000 }], S),
    80_000,
  );
  assertEquals(
    settleBound(task, [{ kind: "kill", downAt: 45_000, backAt: 50_000 }], S),
    40_000,
    "a restart after the bound changes nothing",
  );
  assertEquals(
    settleBound(task, [{ kind: "stop", downAt: 20_000, backAt: undefined }], S),
    Infinity,
    "no bound while the broker is down",
  );
});

Deno.test("a delayed task that starts before its delay is early; one that starts after it is late by so much", () => {
  const b = bench();
  const t0 = b.now;
  b.publish({ id: "d1", kind: "delayed", delay: 2_000 });
  b.publish({ id: "d2", kind: "delayed", delay: 2_000 });
  b.start(t0 + 1_500, "d1");
  b.done(t0 + 1_510, "d1");
  b.start(t0 + 5 + 2_300, "d2");
  b.done(t0 + 5 + 2_310, "d2");
  const verdict = b.judge();
  assertEquals(verdict.findings.map((f) => [f.kind, f.id]), [["early", "d1"]]);
  assertEquals(verdict.queues[0]?.early, 1);
  assertEquals(verdict.queues[0]?.late?.max, 300);
});

Deno.test("a retry is early only before its known backoff; a failure whose delay was not logged counts from the failure", () => {
  const b = bench();
  const t0 = b.now;
  b.publish({ id: "f1", kind: "flaky", backoff: 600 });
  b.start(t0 + 10, "f1", 1);
  b.fail(t0 + 20, "f1", 1, 400);
  b.start(t0 + 300, "f1", 2); // before 20 + 400
  b.done(t0 + 310, "f1");
  b.publish({ id: "f2", kind: "flaky", backoff: 600 });
  b.start(t0 + 10, "f2", 1);
  b.fail(t0 + 20, "f2", 1); // its worker lost the broker before it logged task.failed
  b.start(t0 + 30, "f2", 1, b.other); // redelivered
  b.fail(t0 + 900, "f2", 1, 400, b.other);
  b.start(t0 + 500, "f2", 2); // from the first failure's copy: not early
  b.done(t0 + 510, "f2");
  const verdict = b.judge(new Map());
  const early = verdict.findings.filter((f) => f.kind === "early").map((f) => f.id);
  assertEquals(early, ["f1"]);
});

Deno.test("a failure known only from its task.failed line counts its backoff from the attempt's start", () => {
  const b = bench();
  const t0 = b.now;
  b.publish({ id: "s", kind: "huge-error", expected: { outcome: "dead", reason: "failed" } });
  b.start(t0 + 10, "s", 1);
  b.failedLine(t0 + 200, "s", 1, 150); // logged after its copy was published
  b.start(t0 + 300, "s", 2); // due from the throw (at most +200), not from the line
  b.dead(t0 + 310, "s", "failed");
  b.ledger.deadLetters([["s", "failed"]]);
  const verdict = b.judge();
  assertEquals(verdict.findings, []);
  assertEquals(verdict.queues[0]?.late, undefined, "an inexact due time is not measured");
});

Deno.test("a retry that runs once per failed run of its previous attempt is no new duplicate", () => {
  const b = bench();
  const t0 = b.now;
  b.publish({ id: "c", kind: "flaky", backoff: 2_000 });
  b.start(t0 + 10, "c", 1);
  b.worker.killedAt = t0 + 15;
  b.fail(t0 + 12, "c", 1);
  b.start(t0 + 20, "c", 1, b.other);
  b.fail(t0 + 30, "c", 1, 400, b.other);
  b.start(t0 + 500, "c", 2, b.other);
  b.start(t0 + 600, "c", 2, b.other);
  b.done(t0 + 610, "c", b.other);
  const verdict = b.judge();
  assertEquals(verdict.findings, []);
  const d = verdict.queues[0]!.duplicates;
  assertEquals([d.runs, d.afterWorkerKill, d.afterDuplicateAttempt, d.unexplained], [2, 1, 1, 0]);
});

Deno.test("a duplicate run is explained by a SIGKILL of the worker that ran it first, or by a broker outage the copy lived through, else it is a finding", () => {
  const b = bench();
  const t0 = b.now;
  b.publish({ id: "k" });
  b.start(t0 + 10, "k");
  b.worker.killedAt = t0 + 8; // noted just before its last start was logged: the signal lands late
  b.start(t0 + 40, "k", 1, b.other);
  b.done(t0 + 50, "k", b.other);

  b.publish({ id: "r" });
  const restart = b.ledger.restartBegins("kill");
  restart.backAt = restart.downAt + 5_000;
  b.start(t0 + 6_000, "r", 1, b.other);
  b.start(t0 + 7_000, "r", 1, b.other);
  b.done(t0 + 7_010, "r", b.other);

  b.now = t0 + 10_000;
  b.publish({ id: "u" });
  b.start(t0 + 10_100, "u", 1, b.other);
  b.done(t0 + 10_110, "u", b.other);
  b.start(t0 + 10_200, "u", 1, b.other);
  b.done(t0 + 10_210, "u", b.other);

  const verdict = b.judge();
  assertEquals(verdict.findings.map((f) => [f.kind, f.id]), [["duplicate", "u"]]);
  const d = verdict.queues[0]!.duplicates;
  assertEquals([d.tasks, d.runs, d.afterWorkerKill, d.afterBrokerKill, d.unexplained], [
    3,
    3,
    1,
    1,
    1,
  ]);
});

Deno.test("never settled is lost, or stuck when it is still in a queue; settled past its bound is stuck", () => {
  const b = bench();
  const t0 = b.now;
  b.publish({ id: "gone" });
  b.publish({ id: "waiting", kind: "delayed", delay: 1_000 });
  b.publish({ id: "slow" });
  b.start(t0 + 40_000, "slow");
  b.done(t0 + 40_010, "slow");
  b.publish({ id: "fine" });
  b.start(t0 + 100, "fine");
  b.done(t0 + 110, "fine");
  const verdict = b.judge(new Map([["waiting", `${Q}.delay.3`]]));
  assertEquals(verdict.findings.map((f) => [f.kind, f.id]), [
    ["lost", "gone"],
    ["stuck", "waiting"],
    ["stuck", "slow"],
  ]);
  assertEquals([verdict.queues[0]?.lost, verdict.queues[0]?.stuck], [1, 2]);
});

Deno.test("a task settled past its bound behind a busy backlog is counted, not stuck; one waiting while the workers idle is stuck", () => {
  const b = bench();
  const t0 = b.now;
  // 50 tasks published at once, worked off one a second: the last ones settle past their bound,
  // in order, with the workers busy all along.
  for (let i = 0; i < 50; i++) {
    b.publish({ id: `q${i}` });
    b.start(t0 + 1_000 * (i + 1) - 5, `q${i}`);
    b.done(t0 + 1_000 * (i + 1), `q${i}`);
  }
  let verdict = b.judge();
  assertEquals(verdict.findings, []);
  assertEquals([verdict.queues[0]?.stuck, verdict.queues[0]?.behindBacklog], [0, 20]);

  // A delayed task that runs 10 s after the others were all done: held, not queued.
  b.now = t0;
  b.publish({ id: "held", kind: "delayed", delay: 100 });
  b.start(t0 + 60_000, "held");
  b.done(t0 + 60_010, "held");
  verdict = b.judge();
  assertEquals(verdict.findings.map((f) => [f.kind, f.id]), [["stuck", "held"]]);
  assertEquals(verdict.findings[0]?.detail.includes("settled nothing for 10.0 s"), true);
});

Deno.test("a task due last that waits while the workers settle nothing is stuck", () => {
  const b = bench();
  const t0 = b.now;
  b.publish({ id: "a" });
  b.start(t0 + 100, "a");
  b.done(t0 + 110, "a");
  b.publish({ id: "last", kind: "delayed", delay: 2_000 });
  b.start(t0 + 90_000, "last");
  b.done(t0 + 90_010, "last");
  const verdict = b.judge();
  assertEquals(verdict.findings.map((f) => [f.kind, f.id]), [["stuck", "last"]]);
  assertEquals(verdict.findings[0]?.detail.includes("settled nothing"), true);
});

Deno.test("a poison message must be in Q.dead with its reason; a normal task must not be dead", () => {
  const b = bench();
  const t0 = b.now;
  const dead = (reason: string) => ({ outcome: "dead", reason }) as const;
  b.publish({ id: "right", kind: "not-json", expected: dead("not-json") });
  b.publish({ id: "wrong", kind: "deep-result", expected: dead("invalid-result") });
  b.publish({ id: "unfiled", kind: "huge-error", expected: dead("failed") });
  b.publish({ id: "normal" });
  b.dead(t0 + 10, "right", "not-json");
  b.dead(t0 + 10, "wrong", "worker-died");
  b.dead(t0 + 10, "unfiled", "failed");
  b.dead(t0 + 10, "normal", "worker-died");
  b.ledger.deadLetters([["right", "not-json"], ["wrong", "worker-died"], [
    "normal",
    "worker-died",
  ], ["stray", "not-json"]]);
  const verdict = b.judge();
  assertEquals(verdict.findings.map((f) => [f.kind, f.id]), [
    ["outcome", "wrong"],
    ["outcome", "unfiled"],
    ["outcome", "normal"],
    ["stranger", "stray"],
  ]);
  assertEquals(verdict.queues[0]?.deadByReason, { "not-json": 1, "worker-died": 2 });
});

Deno.test("a worker that exits on its own is a finding; one stopped by the run that exits 0 is not", () => {
  const b = bench();
  b.ledger.workerExited({ worker: b.worker, code: 1, signal: null, stderr: "boom", byRun: false });
  b.ledger.workerExited({ worker: b.worker2, code: 0, signal: null, stderr: "", byRun: true });
  const verdict = b.judge();
  assertEquals(verdict.findings.map((f) => f.kind), ["worker"]);
});

Deno.test("spread() gives p50, p99 and max", () => {
  assertEquals(spread([]), undefined);
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assertEquals(spread(values), { count: 100, p50: 50, p99: 99, max: 100 });
});
