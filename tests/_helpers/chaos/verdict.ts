/**
 * The verdict on a chaos ledger (pure): the figures of each work queue (published, confirmed,
 * succeeded, dead by reason, lost, stuck, early, duplicated, how late the waiting tasks started)
 * and the findings that fail the run, each naming its task and what was wrong:
 *
 * - **lost**: confirmed, never settled (done or dead), and not found in the work queue or a delay
 *   level when the run ended;
 * - **stuck**: settled later than its bound, or still in a queue when the run ended. The bound of
 *   a task is `stuckAfterMs` past the time it was due (publish + delay + the retries' backoff),
 *   and, for every broker restart that began before the bound, `stuckAfterMs` past the time the
 *   broker was back;
 * - **early**: started before its delay had passed (a delayed task), or before the delay its
 *   previous attempt's failure gave it (a retry);
 * - **duplicate**: an attempt that started again. Explained (and counted, not failed) when a
 *   previous run of it was on a worker that the run SIGKILLed after it started, or when the
 *   broker was down (restarting) at some time between the moment that copy was sent (the
 *   publish, or the previous attempt's failure) and the second start: a crash may keep a
 *   message it had passed on, and a producer sends again what the broker did not confirm;
 * - **outcome**: a normal task that did not succeed, or a poison message that did not end in
 *   `Q.dead` with the reason it should have;
 * - **stranger**: a message done or dead-lettered that the run never published;
 * - **worker**: a worker that exited on its own, or did not exit 0 when the run stopped it.
 *
 * @module
 */
import type {
  ChaosLedger,
  Restart,
  Start,
  TaskRecord,
  WorkerExitRecord,
  WorkerRef,
} from "./ledger.ts";

/** What a finding is about. */
export type FindingKind =
  | "lost"
  | "stuck"
  | "early"
  | "duplicate"
  | "outcome"
  | "stranger"
  | "worker";

/** Something that fails the run. */
export interface Finding {
  /** What kind of failure. */
  readonly kind: FindingKind;
  /** The task's id, when it is about one. */
  readonly id?: string;
  /** The plan's kind of that task (`plain`, `delayed`, `flaky` or a poison kind). */
  readonly task?: string;
  /** What exactly. */
  readonly detail: string;
}

/** Percentiles of a list of milliseconds. */
export interface Spread {
  /** How many values. */
  readonly count: number;
  /** The median. */
  readonly p50: number;
  /** The 99th percentile. */
  readonly p99: number;
  /** The largest. */
  readonly max: number;
}

/** Duplicated runs, by what explains them. */
export interface Duplicates {
  /** Tasks that ran an attempt more than once. */
  readonly tasks: number;
  /** Runs beyond the first of an attempt. */
  readonly runs: number;
  /** Of those, after a worker SIGKILL. */
  readonly afterWorkerKill: number;
  /** After a broker `kill -9`. */
  readonly afterBrokerKill: number;
  /** After a graceful broker stop. */
  readonly afterBrokerStop: number;
  /** Of a retry whose previous attempt ran (and failed) more than once: one run per failure. */
  readonly afterDuplicateAttempt: number;
  /** With no fault to explain them. */
  readonly unexplained: number;
  /** Tasks with more than one letter in `Q.dead`. */
  readonly deadLetters: number;
}

/** The figures of one work queue. */
export interface QueueFigures {
  /** The work queue. */
  readonly queue: string;
  /** Tasks whose publish began. */
  readonly published: number;
  /** Tasks the broker confirmed. */
  readonly confirmed: number;
  /** Tasks whose publish failed (the producer gave up), and the first error. */
  readonly publishFailed: { readonly count: number; readonly first?: string };
  /** Confirmed normal tasks (not poison) and how many of them succeeded. */
  readonly normal: number;
  /** Normal tasks done. */
  readonly succeeded: number;
  /** Tasks in `Q.dead`, by reason. */
  readonly deadByReason: Readonly<Record<string, number>>;
  /** Confirmed tasks never settled and not found anywhere. */
  readonly lost: number;
  /** Tasks settled past their bound while held back, or left in a queue. */
  readonly stuck: number;
  /**
   * Tasks settled past their bound behind a backlog: the workers were busy all along and no task
   * due after them went first (a slow machine, not a held task). Counted, not failed.
   */
  readonly behindBacklog: number;
  /** Tasks that started before their time. */
  readonly early: number;
  /** Duplicated runs. */
  readonly duplicates: Duplicates;
  /** How late the waiting tasks (delays and retries) started past their time, ms. */
  readonly late: Spread | undefined;
  /** Worker SIGKILLs on this queue. */
  readonly workerKills: number;
}

/** The verdict on a run. */
export interface ChaosVerdict {
  /** The figures of each work queue. */
  readonly queues: readonly QueueFigures[];
  /** Broker restarts, by kind. */
  readonly restarts: { readonly kill: number; readonly stop: number };
  /** Everything that fails the run (empty: it passed). */
  readonly findings: readonly Finding[];
}

/** What the verdict needs besides the ledger. */
export interface VerdictOptions {
  /** How long past its due time (or past the broker's return) a task may take to settle. */
  readonly stuckAfterMs: number;
  /** The tasks found in a queue when the run ended: id to queue name. */
  readonly leftovers: ReadonlyMap<string, string>;
  /** Said after each lost task, e.g. how long the run waited past its bound. @default "" */
  readonly lostNote?: string;
  /** The time findings count from (`+12.3 s`), epoch ms. @default the first publish */
  readonly epoch?: number;
}

/** Judges a finished run. */
export function judge(ledger: ChaosLedger, options: VerdictOptions): ChaosVerdict {
  const restarts = [...ledger.restarts].sort((a, b) => a.downAt - b.downAt);
  const findings: Finding[] = [];
  const byQueue = new Map<string, TaskRecord[]>();
  for (const task of ledger.tasks) {
    const list = byQueue.get(task.queue) ?? [];
    list.push(task);
    byQueue.set(task.queue, list);
  }
  const workers = ledger.workers;
  const epoch = options.epoch ?? Math.min(...ledger.tasks.map((t) => t.publishedAt));
  const queues: QueueFigures[] = [];
  for (const [queue, tasks] of byQueue) {
    const kills = workers.filter((w) => w.queue === queue && w.killedAt !== undefined);
    const producers = workers.filter((w) => w.queue === queue && w.producer);
    const context = {
      restarts,
      kills: kills.map((w) => w.killedAt!),
      producers,
      options,
      findings,
      epoch,
    };
    queues.push(judgeQueue(queue, tasks, context));
  }
  for (const stranger of ledger.strangers) {
    findings.push({
      kind: "stranger",
      id: stranger.id,
      detail: `${stranger.seen} of a message the run never published`,
    });
  }
  for (const exit of ledger.exits) {
    const finding = exitFinding(exit);
    if (finding) findings.push(finding);
  }
  return {
    queues,
    restarts: {
      kill: restarts.filter((r) => r.kind === "kill").length,
      stop: restarts.filter((r) => r.kind === "stop").length,
    },
    findings,
  };
}

function exitFinding(exit: WorkerExitRecord): Finding | undefined {
  if (exit.worker.killedAt !== undefined) return undefined;
  const how = exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
  // The error's first line (an uncaught error's name and message), not its stack.
  const lines = exit.stderr.trim().split("\n").map((line) => line.trim()).filter(Boolean);
  const tail = (lines.find((line) => /error/i.test(line) && !line.startsWith("at ")) ?? lines[0] ??
    "").slice(0, 300);
  if (!exit.byRun) {
    return {
      kind: "worker",
      detail: `worker ${exit.worker.name} exited on its own (${how})${tail ? `: ${tail}` : ""}`,
    };
  }
  if (exit.code !== 0 || exit.signal !== null) {
    return {
      kind: "worker",
      detail: `worker ${exit.worker.name} ended with ${how} when stopped by SIGTERM${
        tail ? `: ${tail}` : ""
      }`,
    };
  }
  return undefined;
}

/**
 * The latest time `task` may settle: `stuckAfterMs` past its due time (or its confirm, if that
 * came later), pushed to `stuckAfterMs` past the broker's return by each restart that began
 * before the bound. A restart still under way gives no bound (`Infinity`).
 */
export function settleBound(
  task: Pick<TaskRecord, "due" | "confirmedAt">,
  restarts: readonly Restart[],
  stuckAfterMs: number,
): number {
  let bound = Math.max(task.due, task.confirmedAt ?? task.due) + stuckAfterMs;
  for (const restart of restarts) {
    if (restart.downAt < bound) {
      bound = Math.max(bound, (restart.backAt ?? Infinity) + stuckAfterMs);
    }
  }
  return bound;
}

/** When `task` settled as it should have: first success, or first dead letter logged. */
function settledAt(task: TaskRecord): number | undefined {
  if (task.expected.outcome === "succeeded") return task.done[0];
  const logged = task.dead.map((d) => d.at).filter((at): at is number => at !== undefined);
  return logged.length > 0 ? Math.min(...logged) : undefined;
}

/** What judging one queue needs besides its tasks. */
interface QueueContext {
  readonly restarts: readonly Restart[];
  /** When workers of the queue were SIGKILLed. */
  readonly kills: readonly number[];
  /** The producers of the queue. */
  readonly producers: readonly WorkerRef[];
  readonly options: VerdictOptions;
  /** Where findings go. */
  readonly findings: Finding[];
  /** Times in findings count from it. */
  readonly epoch: number;
}

function judgeQueue(
  queue: string,
  tasks: readonly TaskRecord[],
  context: QueueContext,
): QueueFigures {
  const { restarts, kills, options, findings, epoch, producers } = context;
  const confirmed = tasks.filter((t) => t.confirmedAt !== undefined);
  const normal = confirmed.filter((t) => t.expected.outcome === "succeeded");
  const deadByReason: Record<string, number> = {};
  let lost = 0, stuck = 0, early = 0, succeeded = 0, duplicateDead = 0, behindBacklog = 0;
  const activity = laneActivity(confirmed);
  const duplicates = {
    tasks: 0,
    runs: 0,
    kill: 0,
    brokerKill: 0,
    brokerStop: 0,
    cascade: 0,
    none: 0,
  };
  const late: number[] = [];
  const add = (kind: FindingKind, task: TaskRecord, detail: string) =>
    findings.push({ kind, id: task.id, task: task.kind, detail: `${queue}: ${detail}` });

  for (const task of tasks) {
    const letters = task.dead.filter((d) => d.source === "queue");
    if (letters[0]) deadByReason[letters[0].reason] = (deadByReason[letters[0].reason] ?? 0) + 1;
    if (letters.length > 1) {
      duplicateDead++;
      const cause = restarts.find((r) => task.publishedAt <= (r.backAt ?? Infinity)) ??
        (kills.some((at) => at >= task.publishedAt) ? "kill" : undefined);
      if (cause === undefined) {
        add("duplicate", task, `${letters.length} letters in Q.dead, with no fault to explain it`);
      }
    }
    if (task.confirmedAt === undefined) continue;
    if (task.expected.outcome === "succeeded" && task.done.length > 0) succeeded++;

    // Lost or stuck.
    const settled = settledAt(task);
    const bound = settleBound(task, restarts, options.stuckAfterMs);
    const ended = task.done.length > 0 || task.dead.length > 0;
    const left = options.leftovers.get(task.id);
    const when = `published ${at(task.publishedAt, epoch)}${
      task.delay > 0 ? ` with a delay of ${task.delay} ms` : ""
    }, confirmed ${at(task.confirmedAt!, epoch)}, due ${at(task.due, epoch)}, bound ${
      at(bound, epoch)
    }`;
    if (!ended) {
      if (left !== undefined) {
        stuck++;
        add("stuck", task, `never settled; still in ${left} when the run ended (${when})`);
      } else {
        lost++;
        add(
          "lost",
          task,
          `never ${
            describeExpected(task)
          }, and ready in no queue at the end (${when}; ${task.starts.length} starts)${
            options.lostNote ?? ""
          }`,
        );
      }
    } else if (settled !== undefined && settled > bound) {
      const held = heldBack(settled, bound, activity, restarts);
      if (held === undefined) {
        behindBacklog++;
      } else {
        stuck++;
        add(
          "stuck",
          task,
          `settled ${seconds(settled - bound)} s past its bound, ${held} (${when})`,
        );
      }
    }

    // The outcome.
    const outcome = outcomeProblem(task);
    if (outcome) add("outcome", task, outcome);

    // Early starts, and how late the waiting ones were.
    for (const problem of timing(task, late, epoch)) {
      early++;
      add("early", task, problem);
    }

    // Duplicates.
    const runs = duplicateRuns(task, restarts);
    if (runs.length > 0) duplicates.tasks++;
    for (const run of runs) {
      duplicates.runs++;
      if (run.cause === "worker-kill") duplicates.kill++;
      else if (run.cause === "broker-kill") duplicates.brokerKill++;
      else if (run.cause === "broker-stop") duplicates.brokerStop++;
      else if (run.cause === "cascade") duplicates.cascade++;
      else {
        duplicates.none++;
        add(
          "duplicate",
          task,
          `attempt ${run.start.attempt} ran again with no fault to explain it: ${
            describeRuns(task, run.start.attempt, epoch, producers)
          }`,
        );
      }
    }
  }
  return {
    queue,
    published: tasks.length,
    confirmed: confirmed.length,
    publishFailed: publishFailures(tasks),
    normal: normal.length,
    succeeded,
    deadByReason,
    lost,
    stuck,
    behindBacklog,
    early,
    duplicates: {
      tasks: duplicates.tasks,
      runs: duplicates.runs,
      afterWorkerKill: duplicates.kill,
      afterBrokerKill: duplicates.brokerKill,
      afterBrokerStop: duplicates.brokerStop,
      afterDuplicateAttempt: duplicates.cascade,
      unexplained: duplicates.none,
      deadLetters: duplicateDead,
    },
    late: spread(late),
    workerKills: kills.length,
  };
}

function publishFailures(tasks: readonly TaskRecord[]): QueueFigures["publishFailed"] {
  const failed = tasks.filter((t) => t.publishError !== undefined);
  return failed[0] === undefined
    ? { count: 0 }
    : { count: failed.length, first: failed[0].publishError! };
}

function describeExpected(task: TaskRecord): string {
  return task.expected.outcome === "succeeded" ? "done" : `dead (${task.expected.reason})`;
}

/** What is wrong with how `task` ended, if anything (a task never settled is judged apart). */
function outcomeProblem(task: TaskRecord): string | undefined {
  const reasons = [...new Set(task.dead.map((d) => d.reason))];
  if (task.expected.outcome === "succeeded") {
    if (reasons.length > 0) return `a normal task was dead-lettered (${reasons.join(", ")})`;
    return undefined;
  }
  if (task.done.length === 0 && task.dead.length === 0) return undefined;
  const expected = task.expected.reason;
  if (task.done.length > 0) return `should have been dead-lettered (${expected}), but succeeded`;
  const letters = task.dead.filter((d) => d.source === "queue");
  if (letters.length === 0) {
    return `logged as dead (${reasons.join(", ")}) but not in Q.dead`;
  }
  const wrong = letters.filter((d) => d.reason !== expected).map((d) => d.reason);
  if (wrong.length > 0) {
    return `in Q.dead with reason ${[...new Set(wrong)].join(", ")} instead of ${expected}`;
  }
  return undefined;
}

/**
 * The early starts of `task` (a message each), and, into `late`, how late its waiting starts
 * were: a delayed task's first start past its delay, a retry's first start past its backoff.
 */
function timing(task: TaskRecord, late: number[], epoch: number): string[] {
  const problems: string[] = [];
  const attempts = new Set(task.starts.map((s) => s.attempt));
  for (const attempt of attempts) {
    const starts = task.starts.filter((s) => s.attempt === attempt);
    const first = Math.min(...starts.map((s) => s.at));
    let allowed: number | undefined;
    let what: string;
    // How late is only measured when the copy's time is known to the millisecond: a delayed task
    // confirmed within PROMPT_MS of its publish (one held back by an outage was sent later than
    // the ledger knows), and a retry whose every failure logged its delay.
    let measured = true;
    if (attempt <= 1) {
      if (task.delay <= 0) continue;
      allowed = task.notBefore;
      what = `its delay of ${task.delay} ms (published at ${at(task.publishedAt, epoch)})`;
      measured = (task.confirmedAt ?? Infinity) - task.publishedAt <= PROMPT_MS;
    } else {
      const failures = task.failures.filter((f) => f.attempt === attempt - 1);
      if (failures.length === 0) continue;
      // A failure whose retry delay was not logged (its worker died or lost the broker first)
      // may still have published its copy: count it as due from the failure on.
      allowed = Math.min(...failures.map((f) => f.at + (f.retryIn ?? 0)));
      measured = failures.every((f) => f.retryIn !== undefined && f.exact);
      const shown = failures.map((f) =>
        `${f.worker.name} failed at ${at(f.at, epoch)}, retry in ${f.retryIn ?? "?"} ms`
      );
      what = `the backoff of attempt ${attempt - 1} (${shown.join("; ")})`;
    }
    if (first < allowed) {
      problems.push(
        `attempt ${attempt} started at ${at(first, epoch)}, ${
          allowed - first
        } ms before ${what} had passed`,
      );
    } else if (measured) {
      late.push(first - allowed);
    }
  }
  return problems;
}

/** How many runs of an attempt a duplicate's finding lists (the first ones and the last). */
const MAX_RUNS_SHOWN = 4;

/** How soon after its publish a delayed task must be confirmed to count in "late", ms. */
const PROMPT_MS = 1_000;

/** `+12.3 s`: `time` counted from `epoch`. */
function at(time: number, epoch: number): string {
  return `+${((time - epoch) / 1000).toFixed(3)} s`;
}

/**
 * The runs of an attempt of `task`, and what each worker that ran it logged next (besides task
 * events): `classic-w2 at +10.200 s (then connection.lost +11.000 s), classic-w4 at +12.000 s`.
 */
function describeRuns(
  task: TaskRecord,
  attempt: number,
  epoch: number,
  producers: readonly WorkerRef[],
): string {
  const starts = task.starts.filter((s) => s.attempt === attempt).sort((a, b) => a.at - b.at);
  const last = starts.at(-1)?.at ?? 0;
  const published = producers.flatMap((p) =>
    (p.events ?? []).filter((e) => e.at >= task.publishedAt && e.at <= last).slice(0, 4)
      .map((e) => `${p.name} ${e.event} ${at(e.at, epoch)}`)
  );
  const sent = `published ${at(task.publishedAt, epoch)}, confirmed ${
    task.confirmedAt === undefined ? "never" : at(task.confirmedAt, epoch)
  }${published.length > 0 ? ` (${published.join(", ")})` : ""}; `;
  const failures = task.failures.filter((f) => f.attempt === attempt - 1).map((f) =>
    `attempt ${f.attempt} failed on ${f.worker.name} ${at(f.at, epoch)} (retry in ${
      f.retryIn ?? "?"
    } ms)`
  );
  const before = failures.length > 0 ? `${failures.join(", ")}; ` : "";
  const shown = starts.length > MAX_RUNS_SHOWN
    ? [...starts.slice(0, MAX_RUNS_SHOWN - 1), starts.at(-1)!]
    : starts;
  const more = starts.length > shown.length ? `; ${starts.length} runs in all` : "";
  return sent + before + shown.map((start) => {
    const next = (start.worker.events ?? []).filter((e) => e.at >= start.at && e.at <= last)
      .slice(0, 3).map((e) => `${e.event} ${at(e.at, epoch)}`);
    const killed = start.worker.killedAt === undefined
      ? ""
      : `, SIGKILLed ${at(start.worker.killedAt, epoch)}`;
    return `${start.worker.name} at ${at(start.at, epoch)}${killed}${
      next.length > 0 ? ` (then ${next.join(", ")})` : ""
    }`;
  }).join("; ") + more;
}

/** A run of an attempt beyond its first, and the fault that explains it. */
interface DuplicateRun {
  readonly start: Start;
  readonly cause: "worker-kill" | "broker-kill" | "broker-stop" | "cascade" | undefined;
}

/** The runs of `task` beyond the first of each attempt, with what explains each. */
function duplicateRuns(task: TaskRecord, restarts: readonly Restart[]): DuplicateRun[] {
  const runs: DuplicateRun[] = [];
  const attempts = new Set(task.starts.map((s) => s.attempt));
  for (const attempt of attempts) {
    const starts = task.starts.filter((s) => s.attempt === attempt).sort((a, b) => a.at - b.at);
    if (starts.length < 2) continue;
    // When this attempt's copy entered the broker: the publish, or the previous failure.
    const failures = task.failures.filter((f) => f.attempt === attempt - 1);
    // The failures that surely scheduled a copy: their retry was logged (after its publish was
    // confirmed), or their worker was killed after it, maybe between the publish and the ack.
    const copies = failures.filter((f) =>
      f.retryIn !== undefined || f.worker.killedAt !== undefined
    )
      .length;
    const origin = attempt <= 1 || failures.length === 0
      ? task.publishedAt
      : Math.min(...failures.map((f) => f.at));
    for (let j = 1; j < starts.length; j++) {
      const start = starts[j]!;
      // Each failed run of the previous attempt scheduled a copy of this one: when that attempt
      // ran (and failed) more than once, so does this one, for the reason the other did.
      if (j < copies) {
        runs.push({ start, cause: "cascade" });
        continue;
      }
      const killed = starts.slice(0, j).some((earlier) => {
        const at = earlier.worker.killedAt;
        // Killed before this run began. (Not "after the earlier run began": the signal lands a
        // few milliseconds after the run notes it, and the worker may log a start meanwhile.)
        return at !== undefined && at <= start.at;
      });
      // The copy lived (or was on its way in) while the broker was down: a crash may have kept
      // a message it had already passed on, and a producer sends again what was not confirmed.
      const restart = restarts.find((r) =>
        r.downAt <= start.at && origin <= (r.backAt ?? Infinity)
      );
      const cause = killed
        ? "worker-kill"
        : restart?.kind === "kill"
        ? "broker-kill"
        : restart?.kind === "stop"
        ? "broker-stop"
        : undefined;
      runs.push({ start, cause });
    }
  }
  return runs;
}

/** When the tasks of a queue settled (sorted), to tell a held task from one behind a backlog. */
interface LaneActivity {
  readonly settles: readonly number[];
}

/** How long the workers of a queue must settle nothing (the broker up) to count as idle, ms. */
export const IDLE_GAP_MS = 5_000;

function laneActivity(tasks: readonly TaskRecord[]): LaneActivity {
  const settles: number[] = [];
  for (const task of tasks) {
    const settled = settledAt(task);
    if (settled !== undefined) settles.push(settled);
  }
  return { settles: settles.sort((a, b) => a - b) };
}

/**
 * Why `task`, settled at `settled` past its `bound`, was held back rather than behind a backlog:
 * the workers of its queue settled nothing for {@linkcode IDLE_GAP_MS} while the broker was up
 * (they were idle while it waited). `undefined` when they were busy all along: with a backlog,
 * tasks released together when the broker came back run in any order, so that a task overtaken by
 * later ones was not held for that alone (a long run on a busy machine showed it).
 */
export function heldBack(
  settled: number,
  bound: number,
  activity: LaneActivity,
  restarts: readonly Restart[],
): string | undefined {
  const down = (from: number, to: number) =>
    restarts.some((r) => r.downAt < to && (r.backAt ?? Infinity) > from);
  let previous = bound;
  for (const at of activity.settles) {
    if (at <= bound) continue;
    if (at > settled) break;
    if (at - previous >= IDLE_GAP_MS && !down(previous, at)) {
      return `while its queue's workers settled nothing for ${seconds(at - previous)} s`;
    }
    previous = at;
  }
  return undefined;
}

/** The median, 99th percentile and largest of `values` (undefined for none). */
export function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1)! };
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
