/**
 * {@linkcode EventTally}: how many of each history event a queue had in a recent window (the
 * last hour by default), per task, and how long its successful attempts ran (mean, 50th and
 * 95th percentile, longest): exact counts whatever the traffic, in bounded memory. Events are
 * added one by one as a follower of `Q.events` reads them and go into the bucket of their
 * minute; a bucket older than the window is dropped. So a dashboard answers "what happened in
 * the last hour" from what it already read, never by reading the stream again.
 *
 * Bounds, since anyone who can publish to the stream can write any event: at most
 * {@linkcode TALLY_TASKS_MAX} task names a minute (events of further names are counted under
 * {@linkcode OTHER_TASKS}), names cut to {@linkcode TALLY_NAME_MAX} characters, an event dated
 * in the future counted in the current minute, and run times kept as a histogram of fixed size
 * (bins a quarter of an octave wide: a percentile is within 10% of the true one).
 *
 * @module
 */
import type { HistoryEvent, HistoryEventName } from "../wire/events.ts";

/** The events a tally counts: every event but `progress`. */
export const TALLIED_EVENTS = [
  "enqueued",
  "started",
  "retried",
  "returned",
  "succeeded",
  "dead",
  "expired",
  "cancelled",
  "replayed",
] as const satisfies readonly HistoryEventName[];

/** An event a tally counts. */
export type TalliedEvent = typeof TALLIED_EVENTS[number];

/** Most task names counted apart in one minute; further ones are counted together. */
export const TALLY_TASKS_MAX = 100;

/** Most characters of a task's name a tally keeps. */
export const TALLY_NAME_MAX = 200;

/** The name under which events of a task past {@linkcode TALLY_TASKS_MAX} names are counted. */
export const OTHER_TASKS = "(other tasks)";

/** The name under which events that name no task are counted. */
export const UNNAMED_TASK = "?";

const MINUTE_MS = 60_000;
/** Bins per doubling of the run time. */
const BINS_PER_OCTAVE = 4;
/** Run times from 1 ms to 2^40 ms (35 years); below 1 ms in bin 0, beyond in the last. */
const BINS = 40 * BINS_PER_OCTAVE + 2;

/** How long a task's successful attempts ran (the `ms` of its `succeeded` events). */
export interface RunTimes {
  /** Successful attempts measured. */
  readonly count: number;
  /** Their mean, in milliseconds. */
  readonly meanMs: number;
  /** Their median, in milliseconds (within 10%). */
  readonly p50Ms: number;
  /** Their 95th percentile, in milliseconds (within 10%). */
  readonly p95Ms: number;
  /** The longest, in milliseconds. */
  readonly maxMs: number;
}

/** What a tally counted of one task (or of all). */
export interface TallyRow {
  /** The task's name; {@linkcode UNNAMED_TASK} or {@linkcode OTHER_TASKS} for those counted so. */
  readonly task: string;
  /** How many of each event (events with none left out). */
  readonly events: Readonly<Partial<Record<TalliedEvent, number>>>;
  /** How long its successful attempts ran; absent when none succeeded. */
  readonly runTimes?: RunTimes;
}

/** What {@linkcode EventTally.summary} gives. */
export interface TallySummary {
  /** The window's start (ISO 8601): the events counted are of its minute and after. */
  readonly since: string;
  /**
   * Whether the tally holds every event of the window: `false` while the tally began within the
   * window (it was opened later than `since`), and then it counts from when it began.
   */
  readonly complete: boolean;
  /** Every task together. */
  readonly total: TallyRow;
  /** Per task, the most events first. */
  readonly byTask: readonly TallyRow[];
}

/** The counts of one task in one minute. */
class Cell {
  readonly counts = new Map<TalliedEvent, number>();
  bins: Uint32Array | undefined;
  runs = 0;
  sumMs = 0;
  maxMs = 0;

  add(event: HistoryEvent): void {
    const name = event.event as TalliedEvent;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    if (event.event !== "succeeded" || !Number.isFinite(event.ms)) return;
    const ms = event.ms;
    this.bins ??= new Uint32Array(BINS);
    this.bins[binOf(ms)]!++;
    this.runs++;
    this.sumMs += ms;
    this.maxMs = Math.max(this.maxMs, ms);
  }

  merge(into: Cell): void {
    for (const [name, n] of this.counts) into.counts.set(name, (into.counts.get(name) ?? 0) + n);
    if (this.bins === undefined) return;
    into.bins ??= new Uint32Array(BINS);
    for (let i = 0; i < BINS; i++) into.bins[i]! += this.bins[i]!;
    into.runs += this.runs;
    into.sumMs += this.sumMs;
    into.maxMs = Math.max(into.maxMs, this.maxMs);
  }

  row(task: string): TallyRow {
    const events: Partial<Record<TalliedEvent, number>> = {};
    for (const name of TALLIED_EVENTS) {
      const n = this.counts.get(name);
      if (n !== undefined) events[name] = n;
    }
    if (this.bins === undefined || this.runs === 0) return { task, events };
    return {
      task,
      events,
      runTimes: {
        count: this.runs,
        meanMs: round(this.sumMs / this.runs),
        p50Ms: round(Math.min(this.maxMs, quantile(this.bins, this.runs, 0.5))),
        p95Ms: round(Math.min(this.maxMs, quantile(this.bins, this.runs, 0.95))),
        maxMs: round(this.maxMs),
      },
    };
  }

  get total(): number {
    let n = 0;
    for (const count of this.counts.values()) n += count;
    return n;
  }
}

/** The bin of a run time: 0 below 1 ms, then a quarter of an octave each. */
function binOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(BINS - 1, 1 + Math.floor(Math.log2(ms) * BINS_PER_OCTAVE));
}

/** The middle of bin `bin` (geometric), in milliseconds. */
function middleOf(bin: number): number {
  return bin === 0 ? 0.5 : 2 ** ((bin - 0.5) / BINS_PER_OCTAVE);
}

/** The `q` quantile of `count` run times held in `bins`. */
function quantile(bins: Uint32Array, count: number, q: number): number {
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let bin = 0; bin < bins.length; bin++) {
    seen += bins[bin]!;
    if (seen >= rank) return middleOf(bin);
  }
  return middleOf(bins.length - 1);
}

/** Milliseconds shown: whole above 10, one decimal below. */
function round(ms: number): number {
  return ms >= 10 ? Math.round(ms) : Math.round(ms * 10) / 10;
}

/**
 * Counts history events per minute and task over a sliding window; see the module
 * documentation.
 *
 * @example
 * ```ts
 * import { EventTally } from "./tally.ts";
 *
 * const tally = new EventTally({ windowMs: 3_600_000 });
 * const at = new Date().toISOString();
 * tally.add({ v: 1, event: "enqueued", id: "t1", task: "sum", at });
 * tally.add({ v: 1, event: "succeeded", id: "t1", task: "sum", at, worker: "w", attempt: 1, ms: 12 });
 * tally.summary().total.events; // { enqueued: 1, succeeded: 1 }
 * ```
 */
export class EventTally {
  readonly #windowMs: number;
  readonly #began: number;
  /** Buckets by minute (ms since the epoch / 60,000), each by task. */
  readonly #minutes = new Map<number, Map<string, Cell>>();

  /**
   * A tally of the last `windowMs` milliseconds (default one hour) that holds the events from
   * `began` on (default now): a follower that reads the stream from the window's start passes
   * that start.
   */
  constructor(options: { readonly windowMs?: number; readonly began?: Date } = {}) {
    this.#windowMs = options.windowMs ?? 3_600_000;
    this.#began = (options.began ?? new Date()).getTime();
  }

  /** The window, in milliseconds. */
  get windowMs(): number {
    return this.#windowMs;
  }

  /** Counts `event` (a `progress` event is not counted), at `now` (ms since the epoch). */
  add(event: HistoryEvent, now: number = Date.now()): void {
    if (event.event === "progress") return;
    const at = Date.parse(event.at);
    if (Number.isNaN(at)) return;
    const minute = Math.floor(Math.min(at, now) / MINUTE_MS);
    if (minute < this.#firstMinute(now)) return;
    let tasks = this.#minutes.get(minute);
    if (tasks === undefined) {
      this.#prune(now);
      tasks = new Map();
      this.#minutes.set(minute, tasks);
    }
    const name = nameOf(event.task);
    const key = tasks.has(name) || tasks.size < TALLY_TASKS_MAX ? name : OTHER_TASKS;
    let cell = tasks.get(key);
    if (cell === undefined) tasks.set(key, cell = new Cell());
    cell.add(event);
  }

  /** What the window holds at `now` (ms since the epoch). */
  summary(now: number = Date.now()): TallySummary {
    this.#prune(now);
    const first = this.#firstMinute(now);
    const total = new Cell();
    const byTask = new Map<string, Cell>();
    for (const [minute, tasks] of this.#minutes) {
      if (minute < first) continue;
      for (const [name, cell] of tasks) {
        let sum = byTask.get(name);
        if (sum === undefined) byTask.set(name, sum = new Cell());
        cell.merge(sum);
        cell.merge(total);
      }
    }
    const sorted = [...byTask]
      .map(([task, cell]) => ({ task, cell, n: cell.total }))
      .sort((a, b) => b.n - a.n || (a.task < b.task ? -1 : 1));
    // Different minutes may name different tasks: the summary too names at most the maximum.
    let rows = sorted;
    if (sorted.length > TALLY_TASKS_MAX) {
      rows = sorted.filter((row) => row.task !== OTHER_TASKS).slice(0, TALLY_TASKS_MAX - 1);
      const kept = new Set(rows.map((row) => row.task));
      const other = new Cell();
      for (const row of sorted) if (!kept.has(row.task)) row.cell.merge(other);
      rows.push({ task: OTHER_TASKS, cell: other, n: other.total });
    }
    const start = first * MINUTE_MS;
    return {
      since: new Date(start).toISOString(),
      complete: this.#began <= start,
      total: total.row("all"),
      byTask: rows.map(({ task, cell }) => cell.row(task)),
    };
  }

  #firstMinute(now: number): number {
    return Math.floor((now - this.#windowMs) / MINUTE_MS);
  }

  #prune(now: number): void {
    const first = this.#firstMinute(now);
    for (const minute of this.#minutes.keys()) {
      if (minute < first) this.#minutes.delete(minute);
    }
  }
}

/** The name a task is counted under. */
function nameOf(task: string | undefined): string {
  if (task === undefined || task === "") return UNNAMED_TASK;
  return task.length > TALLY_NAME_MAX ? task.slice(0, TALLY_NAME_MAX) : task;
}
