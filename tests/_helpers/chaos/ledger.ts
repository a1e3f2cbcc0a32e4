/**
 * The chaos ledger: for each task a chaos run publishes, when it was published and confirmed,
 * when it may start at the earliest, what it should end as, every start (with its time, attempt
 * and worker), every failure that scheduled a retry, every success and every dead letter; and
 * the faults of the run (worker kills, broker restarts). Worker logs (`--log-format json
 * --log-level debug`) are scanned incrementally, so the ledger can be polled while a run goes.
 *
 * The verdict on a ledger is `verdict.ts`; this file only records.
 *
 * @module
 */

/** What a task should end as. */
export type Expected =
  | { readonly outcome: "succeeded" }
  | { readonly outcome: "dead"; readonly reason: string };

/** One start of a task (a `task.started` line). */
export interface Start {
  /** Which attempt, from 1. */
  readonly attempt: number;
  /** When, epoch ms (the worker's log time). */
  readonly at: number;
  /** The worker that ran it. */
  readonly worker: WorkerRef;
}

/** A failed attempt that scheduled a retry: its `chaos.failing` and `task.failed` lines. */
export interface Failure {
  /** Which attempt failed. */
  readonly attempt: number;
  /**
   * When the handler threw, or a time before it: its `chaos.failing` line (logged just before the
   * throw), else the start of that attempt (a `task.failed` line comes after the retry's copy was
   * published, too late to count the backoff from).
   */
  readonly at: number;
  /** Whether `at` is the `chaos.failing` line's time (else it is only a lower bound). */
  readonly exact: boolean;
  /** The delay before the next attempt, as the worker logged it (`retryIn`). */
  retryIn: number | undefined;
  /** The worker that ran it. */
  readonly worker: WorkerRef;
}

/** A dead letter of the task. */
export interface DeadLetter {
  /** Why, as the worker logged it or as the letter's `x-warren-reason` says. */
  readonly reason: string;
  /** When the worker logged it (undefined for a letter only found in `Q.dead`). */
  readonly at: number | undefined;
  /** Where it was seen. */
  readonly source: "log" | "queue";
}

/** Everything the ledger knows of one task. */
export interface TaskRecord {
  /** The message id. */
  readonly id: string;
  /** The work queue. */
  readonly queue: string;
  /** What kind of task of the plan it is (`plain`, `delayed`, `flaky` or a poison kind). */
  readonly kind: string;
  /** What it should end as. */
  readonly expected: Expected;
  /** When its publish began, epoch ms. */
  readonly publishedAt: number;
  /** Its delay, ms (0 for none). */
  readonly delay: number;
  /** The earliest it may start: publish time + delay. */
  readonly notBefore: number;
  /** By when it should be settled without faults (not before + retries' backoff). */
  readonly due: number;
  /** When the broker confirmed it (undefined: not confirmed, or not yet). */
  confirmedAt: number | undefined;
  /** Why its publish failed, if it did. */
  publishError: string | undefined;
  /** Every start. */
  readonly starts: Start[];
  /** Every failed attempt that scheduled a retry. */
  readonly failures: Failure[];
  /** When each success was logged. */
  readonly done: number[];
  /** Its dead letters (log lines and letters found in `Q.dead`). */
  readonly dead: DeadLetter[];
}

/** A worker process as the ledger knows it. */
export interface WorkerRef {
  /** A short name, e.g. `classic-w3`. */
  readonly name: string;
  /** The work queue it consumes. */
  readonly queue: string;
  /** When the run SIGKILLed it (undefined: it was not). */
  killedAt: number | undefined;
  /** A producer (in-process, followed through its logger) rather than a worker. @default false */
  readonly producer?: boolean;
  /** What it logged besides task events (connection and worker events), with times. */
  readonly events?: { readonly event: string; readonly at: number }[];
}

/** A broker restart of the run. */
export interface Restart {
  /** `kill` (`kill -9`) or `stop` (graceful). */
  readonly kind: "kill" | "stop";
  /** When the broker went down, epoch ms. */
  readonly downAt: number;
  /** When it accepted connections again (undefined while down). */
  backAt: number | undefined;
}

/** A JSON log line. */
export type LogRecord = Readonly<Record<string, unknown>>;

/** Anything with log lines that are only ever appended to (a `WorkerProcess`). */
export interface LineSource {
  /** Every line so far. */
  readonly lines: readonly LogRecord[];
}

/** A worker that ended without being killed by the run, and how. */
export interface WorkerExitRecord {
  /** The worker. */
  readonly worker: WorkerRef;
  /** Its exit code. */
  readonly code: number;
  /** The signal that ended it, if one did. */
  readonly signal: string | null;
  /** The last lines of its stderr. */
  readonly stderr: string;
  /** Whether the run stopped it (SIGTERM at the end). */
  readonly byRun: boolean;
}

/** A task to add to the ledger when its publish begins. */
export interface NewTask {
  /** The message id. */
  readonly id: string;
  /** The work queue. */
  readonly queue: string;
  /** The plan's kind. */
  readonly kind: string;
  /** What it should end as. */
  readonly expected: Expected;
  /** Its delay, ms. */
  readonly delay: number;
  /** Time the retries' backoff may add to its run, ms. */
  readonly backoff: number;
}

/** Ids of messages that appeared in a worker log or in `Q.dead` without being in the ledger. */
export interface Stranger {
  /** The id. */
  readonly id: string;
  /** What was seen: `task.done`, `task.dead`, `Q.dead`, … */
  readonly seen: string;
}

/** The record of a chaos run. */
export class ChaosLedger {
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #sources: { source: LineSource; worker: WorkerRef; seen: number }[] = [];
  readonly #restarts: Restart[] = [];
  readonly #exits: WorkerExitRecord[] = [];
  readonly #strangers: Stranger[] = [];
  readonly #unsettled = new Set<string>();
  readonly #now: () => number;

  /** A ledger whose clock is `now` (epoch ms). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Records that the publish of `task` begins now; returns its record. */
  publishing(task: NewTask): TaskRecord {
    if (this.#tasks.has(task.id)) throw new Error(`task id ${task.id} is in the ledger twice`);
    const publishedAt = this.#now();
    const record: TaskRecord = {
      ...task,
      publishedAt,
      notBefore: publishedAt + task.delay,
      due: publishedAt + task.delay + task.backoff,
      confirmedAt: undefined,
      publishError: undefined,
      starts: [],
      failures: [],
      done: [],
      dead: [],
    };
    this.#tasks.set(task.id, record);
    return record;
  }

  /** Records the broker's confirm of `id`. */
  confirmed(id: string): void {
    const record = this.#get(id);
    record.confirmedAt = this.#now();
    if (!this.#settled(record)) this.#unsettled.add(id);
  }

  /** Records that the publish of `id` failed. */
  publishFailed(id: string, error: string): void {
    this.#get(id).publishError = error;
  }

  /** Follows the log of `worker` (from its first line). */
  follow(source: LineSource, worker: WorkerRef): void {
    this.#sources.push({ source, worker, seen: 0 });
  }

  /** Records a broker restart beginning now; returns it, to set `backAt` later. */
  restartBegins(kind: Restart["kind"]): Restart {
    const restart: Restart = { kind, downAt: this.#now(), backAt: undefined };
    this.#restarts.push(restart);
    return restart;
  }

  /** Records how a worker ended. */
  workerExited(exit: WorkerExitRecord): void {
    this.#exits.push(exit);
  }

  /** Records the dead letters found in `Q.dead`: `[message id, reason]` pairs. */
  deadLetters(letters: readonly (readonly [string | undefined, string])[]): void {
    for (const [id, reason] of letters) {
      const record = id === undefined ? undefined : this.#tasks.get(id);
      if (record === undefined) {
        this.#strangers.push({ id: id ?? "(no id)", seen: `Q.dead (${reason})` });
        continue;
      }
      record.dead.push({ reason, at: undefined, source: "queue" });
      this.#unsettled.delete(record.id);
    }
  }

  /** Reads the log lines that came since the last call. */
  scan(): void {
    for (const entry of this.#sources) {
      const lines = entry.source.lines;
      for (; entry.seen < lines.length; entry.seen++) this.#line(lines[entry.seen]!, entry.worker);
    }
  }

  #line(line: LogRecord, worker: WorkerRef): void {
    const id = line.id;
    const event = line.event;
    if (typeof event !== "string") return;
    if (!event.startsWith("task.") && event !== "chaos.failing") {
      const at = typeof line.time === "string" ? Date.parse(line.time) : this.#now();
      worker.events?.push({ event, at });
      return;
    }
    if (typeof id !== "string") return;
    const record = this.#tasks.get(id);
    if (record === undefined) {
      if (event === "task.done" || event === "task.dead" || event === "task.started") {
        this.#strangers.push({ id, seen: event });
      }
      return;
    }
    const at = typeof line.time === "string" ? Date.parse(line.time) : this.#now();
    const attempt = typeof line.attempt === "number" ? line.attempt : 0;
    switch (event) {
      case "task.started":
        record.starts.push({ attempt, at, worker });
        break;
      case "chaos.failing":
        record.failures.push({ attempt, at, exact: true, retryIn: undefined, worker });
        break;
      case "task.failed": {
        const retryIn = typeof line.retryIn === "number" ? line.retryIn : undefined;
        const failing = record.failures.findLast((f) =>
          f.worker === worker && f.attempt === attempt && f.retryIn === undefined
        );
        if (failing) failing.retryIn = retryIn;
        else {
          const started = record.starts.findLast((s) =>
            s.worker === worker && s.attempt === attempt && s.at <= at
          );
          record.failures.push({ attempt, at: started?.at ?? at, exact: false, retryIn, worker });
        }
        break;
      }
      case "task.done":
        record.done.push(at);
        this.#unsettled.delete(id);
        break;
      case "task.dead":
        record.dead.push({ reason: String(line.reason), at, source: "log" });
        this.#unsettled.delete(id);
        break;
    }
  }

  #settled(record: TaskRecord): boolean {
    return record.done.length > 0 || record.dead.length > 0;
  }

  #get(id: string): TaskRecord {
    const record = this.#tasks.get(id);
    if (record === undefined) throw new Error(`task id ${id} is not in the ledger`);
    return record;
  }

  /** How many confirmed tasks are not yet done or dead. */
  unsettledCount(): number {
    this.scan();
    return this.#unsettled.size;
  }

  /** The ids of the confirmed tasks not yet done or dead. */
  unsettledIds(): string[] {
    this.scan();
    return [...this.#unsettled];
  }

  /** Every task, in publish order. */
  get tasks(): readonly TaskRecord[] {
    this.scan();
    return [...this.#tasks.values()];
  }

  /** The record of `id`, if the ledger has it. */
  task(id: string): TaskRecord | undefined {
    return this.#tasks.get(id);
  }

  /** The broker restarts so far. */
  get restarts(): readonly Restart[] {
    return this.#restarts;
  }

  /** Every worker the ledger follows. */
  get workers(): readonly WorkerRef[] {
    return this.#sources.map((entry) => entry.worker);
  }

  /** How the workers that ended so far ended. */
  get exits(): readonly WorkerExitRecord[] {
    return this.#exits;
  }

  /** Ids seen in a log or in `Q.dead` that the ledger does not have. */
  get strangers(): readonly Stranger[] {
    this.scan();
    return this.#strangers;
  }

  /** How many tasks were published, confirmed and settled so far. */
  counts(): { published: number; confirmed: number; settled: number } {
    this.scan();
    let confirmed = 0;
    for (const record of this.#tasks.values()) if (record.confirmedAt !== undefined) confirmed++;
    return { published: this.#tasks.size, confirmed, settled: confirmed - this.#unsettled.size };
  }
}
