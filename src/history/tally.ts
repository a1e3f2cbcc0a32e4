/**
 * {@linkcode EventTally}: how many of each history event a queue had in a recent window (the
 * last hour by default), per task, and how long its successful attempts ran (mean, 50th and
 * 95th percentile, shortest and longest), in bounded memory. Events are added one by one as a
 * follower of `Q.events` reads them and go into the bucket of their minute; the window's sums
 * are kept as they come, and a minute older than the window is taken out of them. So a
 * dashboard answers "what happened in the last hour" from what it already read, never by
 * reading the stream again, and at a cost that does not grow with the traffic.
 *
 * Bounds, since anyone who can publish to the stream can write any event: a minute counts
 * {@linkcode TALLY_TASKS_MAX} task names apart at most, and of these at most
 * {@linkcode TALLY_NEW_TASKS_MAX} that the minute before did not count (so that a flood of new
 * names cannot push out the tasks that run all along); the events of further names are counted
 * under {@linkcode OTHER_TASKS}, and a row that may have lost some so says (`partial`). The
 * total counts every event. Names over {@linkcode TALLY_NAME_MAX} characters are cut (as the
 * feed cuts them), an event dated in the future is counted in the current minute, and run
 * times go into a histogram of fixed size, from 1/128 ms to 2^40 ms (a quarter of an octave a
 * bin: a percentile is within 10% of the true one, and never outside the shortest and
 * longest).
 *
 * @module
 */
import { HISTORY_EVENTS, type HistoryEvent, type HistoryEventName } from "../wire/events.ts";
import { clipText, NAME_MAX } from "./clip.ts";

/** An event a tally counts. */
export type TalliedEvent = Exclude<HistoryEventName, "progress">;

/** The events a tally counts, in the order a task's life goes: every event but `progress`. */
export const TALLIED_EVENTS: readonly TalliedEvent[] = HISTORY_EVENTS.filter(
  (name): name is TalliedEvent => name !== "progress",
);

/** Most task names a minute counts apart; further ones are counted together. */
export const TALLY_TASKS_MAX = 200;

/** Of {@linkcode TALLY_TASKS_MAX}, most names that the minute before did not count apart. */
export const TALLY_NEW_TASKS_MAX = 100;

/**
 * Names longer than this many characters are cut to the feed's `NAME_MAX` (200), as the feed
 * cuts them; a name the feed cut (200 and its marker) stays whole.
 */
export const TALLY_NAME_MAX = 256;

/** The name under which events of a task past {@linkcode TALLY_TASKS_MAX} names are counted. */
export const OTHER_TASKS = "(other tasks)";

/** The name under which events that name no task are counted. */
export const UNNAMED_TASK = "?";

/** Rows a summary has at most: beyond, the tasks with the fewest events are counted together. */
export const SUMMARY_ROWS_MAX = 100;

const MINUTE_MS = 60_000;
/** Bins per doubling of the run time. */
const BINS_PER_OCTAVE = 4;
/** The shortest run time told apart: 2^-7 ms (workers write run times to 0.01 ms). */
const LOWEST_OCTAVE = -7;
/** The longest run time counted as it is: 2^40 ms (35 years); longer ones count as that. */
const HIGHEST_OCTAVE = 40;
const LONGEST_MS = 2 ** HIGHEST_OCTAVE;
const BINS = (HIGHEST_OCTAVE - LOWEST_OCTAVE) * BINS_PER_OCTAVE + 2;

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
  /** The shortest, in milliseconds. */
  readonly minMs: number;
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
  /**
   * `true` when some of the task's events may be counted under {@linkcode OTHER_TASKS`}
   * instead (a minute had too many names): the row's counts are then a lower bound.
   */
  readonly partial?: true;
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
  /** The events counted ({@linkcode TALLIED_EVENTS}), in the order a task's life goes. */
  readonly events: readonly TalliedEvent[];
  /** Every task together: every event of the window. */
  readonly total: TallyRow;
  /**
   * Per task, the most events first, at most {@linkcode SUMMARY_ROWS_MAX} rows (then the last
   * include {@linkcode OTHER_TASKS}, which holds the rest).
   */
  readonly byTask: readonly TallyRow[];
}

/** Counts and run times of a task, in a minute or over the window. */
class Cell {
  readonly counts = new Map<TalliedEvent, number>();
  bins: Uint32Array | undefined;
  runs = 0;
  sumMs = 0;
  minMs = Number.POSITIVE_INFINITY;
  maxMs = 0;

  get events(): number {
    let n = 0;
    for (const count of this.counts.values()) n += count;
    return n;
  }

  /** Counts `event`; `ms` is its run time, when it succeeded. */
  add(name: TalliedEvent, ms: number | undefined): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    if (ms === undefined) return;
    this.bins ??= new Uint32Array(BINS);
    this.bins[binOf(ms)]!++;
    this.runs++;
    this.sumMs += ms;
    this.minMs = Math.min(this.minMs, ms);
    this.maxMs = Math.max(this.maxMs, ms);
  }

  /** Adds (`sign` 1) or takes out (-1) what `other` counted; the extremes are not taken out. */
  combine(other: Cell, sign: 1 | -1): void {
    for (const [name, n] of other.counts) {
      const sum = (this.counts.get(name) ?? 0) + sign * n;
      if (sum > 0) this.counts.set(name, sum);
      else this.counts.delete(name);
    }
    if (other.bins === undefined) return;
    this.bins ??= new Uint32Array(BINS);
    for (let i = 0; i < BINS; i++) this.bins[i]! += sign * other.bins[i]!;
    this.runs += sign * other.runs;
    this.sumMs = this.runs === 0 ? 0 : this.sumMs + sign * other.sumMs;
    if (sign === 1) {
      this.minMs = Math.min(this.minMs, other.minMs);
      this.maxMs = Math.max(this.maxMs, other.maxMs);
    }
  }

  row(task: string, partial: boolean): TallyRow {
    const events: Partial<Record<TalliedEvent, number>> = {};
    for (const name of TALLIED_EVENTS) {
      const n = this.counts.get(name);
      if (n !== undefined) events[name] = n;
    }
    const flag = partial ? { partial: true as const } : {};
    if (this.bins === undefined || this.runs <= 0) return { task, events, ...flag };
    const clamp = (ms: number) => round(Math.min(this.maxMs, Math.max(this.minMs, ms)));
    return {
      task,
      events,
      runTimes: {
        count: this.runs,
        meanMs: clamp(this.sumMs / this.runs),
        p50Ms: clamp(quantile(this.bins, this.runs, 0.5)),
        p95Ms: clamp(quantile(this.bins, this.runs, 0.95)),
        minMs: round(this.minMs),
        maxMs: round(this.maxMs),
      },
      ...flag,
    };
  }
}

/** The bin of a run time: bin 0 below 2^-7 ms, then a quarter of an octave each. */
function binOf(ms: number): number {
  const octaves = Math.log2(ms) - LOWEST_OCTAVE;
  if (!(octaves >= 0)) return 0;
  return Math.min(BINS - 1, 1 + Math.floor(octaves * BINS_PER_OCTAVE));
}

/** The middle of bin `bin` (geometric), in milliseconds; 0 for bin 0. */
function middleOf(bin: number): number {
  return bin === 0 ? 0 : 2 ** ((bin - 0.5) / BINS_PER_OCTAVE + LOWEST_OCTAVE);
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

/** Milliseconds shown: whole from 10 on, with two decimals below. */
function round(ms: number): number {
  return ms >= 10 ? Math.round(ms) : Math.round(ms * 100) / 100;
}

/** A minute's counts, by task ({@linkcode OTHER_TASKS} among them when names were too many). */
interface Minute {
  readonly tasks: Map<string, Cell>;
  /** Names counted apart that the minute before did not count apart. */
  fresh: number;
}

/** Options of {@linkcode EventTally}. */
export interface TallyOptions {
  /**
   * The window, in milliseconds: from one minute to one day.
   * @default {3600000}
   */
  readonly windowMs?: number;
  /**
   * Since when the tally holds the events (its summary is complete once its window starts
   * after it): a follower that reads the stream from the window's start passes that start.
   * @default {now}
   */
  readonly began?: Date;
}

/**
 * Counts history events per minute and task over a sliding window; see the module
 * documentation. Its times go forward: a summary at a time drops the minutes that are older
 * than the window then, for good.
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
  /** Minutes (ms since the epoch / 60,000) in the window, oldest first. */
  readonly #minutes = new Map<number, Minute>();
  /** The window's sums by task, and of every event. */
  readonly #window = new Map<string, Cell>();
  readonly #total = new Cell();
  /** The latest time seen, in ms since the epoch: the window ends there. */
  #now = 0;

  /** A tally; throws a `RangeError` for a window that is not from a minute to a day. */
  constructor(options: TallyOptions = {}) {
    const windowMs = options.windowMs ?? 3_600_000;
    if (!(Number.isInteger(windowMs) && windowMs >= MINUTE_MS && windowMs <= 1_440 * MINUTE_MS)) {
      throw new RangeError(
        `A tally's window must be a whole number of milliseconds from 60000 (a minute) to 86400000 (a day): got ${windowMs}`,
      );
    }
    this.#windowMs = windowMs;
    this.#began = (options.began ?? new Date()).getTime();
  }

  /** Counts `event` (a `progress` event is not counted), at `now` (ms since the epoch). */
  add(event: HistoryEvent, now: number = Date.now()): void {
    if (event.event === "progress") return;
    const at = Date.parse(event.at);
    if (Number.isNaN(at)) return;
    this.#advance(now);
    const minute = Math.floor(Math.min(at, this.#now) / MINUTE_MS);
    if (minute < this.#firstMinute()) return;
    let counts = this.#minutes.get(minute);
    if (counts === undefined) {
      counts = { tasks: new Map(), fresh: 0 };
      this.#minutes.set(minute, counts);
      // A late event may open a minute before the newest: keep the minutes in order.
      if ([...this.#minutes.keys()].some((m) => m > minute)) this.#sortMinutes();
    }
    const name = this.#admit(counts, minute, nameOf(event.task));
    const ms = event.event === "succeeded" && Number.isFinite(event.ms)
      ? Math.min(Math.max(event.ms, 0), LONGEST_MS)
      : undefined;
    let cell = counts.tasks.get(name);
    if (cell === undefined) counts.tasks.set(name, cell = new Cell());
    cell.add(event.event, ms);
    let sum = this.#window.get(name);
    if (sum === undefined) this.#window.set(name, sum = new Cell());
    sum.add(event.event, ms);
    this.#total.add(event.event, ms);
  }

  /** What the window holds at `now` (ms since the epoch; an earlier time than seen is not). */
  summary(now: number = Date.now()): TallySummary {
    this.#advance(now);
    const partial = this.#partialNames();
    const rows = [...this.#window]
      .map(([task, cell]) => ({ task, cell, events: cell.events }))
      .sort(mostEventsFirst);
    let shown = rows;
    if (rows.length > SUMMARY_ROWS_MAX) {
      shown = rows.filter((row) => row.task !== OTHER_TASKS).slice(0, SUMMARY_ROWS_MAX - 1);
      // The rest is the total less the rows shown; its extremes, those of the rows not shown.
      const kept = new Set(shown.map((row) => row.task));
      const other = new Cell();
      other.combine(this.#total, 1);
      for (const row of shown) other.combine(row.cell, -1);
      other.minMs = Number.POSITIVE_INFINITY;
      other.maxMs = 0;
      for (const row of rows) {
        if (kept.has(row.task) || row.cell.runs === 0) continue;
        other.minMs = Math.min(other.minMs, row.cell.minMs);
        other.maxMs = Math.max(other.maxMs, row.cell.maxMs);
      }
      shown.push({ task: OTHER_TASKS, cell: other, events: other.events });
      shown.sort(mostEventsFirst);
    }
    const start = this.#firstMinute() * MINUTE_MS;
    return {
      since: new Date(start).toISOString(),
      complete: this.#began <= start,
      events: TALLIED_EVENTS,
      total: this.#total.row("all", false),
      byTask: shown.map(({ task, cell }) => cell.row(task, partial(task))),
    };
  }

  #firstMinute(): number {
    return Math.floor((this.#now - this.#windowMs) / MINUTE_MS);
  }

  /** Moves the window's end to `now` if it is later, taking out the minutes it left behind. */
  #advance(now: number): void {
    if (!(now > this.#now)) return;
    this.#now = now;
    const first = this.#firstMinute();
    const touched = new Set<string>();
    for (const [minute, counts] of this.#minutes) {
      if (minute >= first) break;
      this.#minutes.delete(minute);
      for (const [name, cell] of counts.tasks) {
        this.#window.get(name)?.combine(cell, -1);
        this.#total.combine(cell, -1);
        touched.add(name);
      }
    }
    if (touched.size === 0) return;
    // The shortest and the longest cannot be taken out: they are found again.
    for (const name of touched) {
      const sum = this.#window.get(name);
      if (sum === undefined || sum.counts.size === 0) {
        this.#window.delete(name);
        continue;
      }
      sum.minMs = Number.POSITIVE_INFINITY;
      sum.maxMs = 0;
      for (const counts of this.#minutes.values()) {
        const cell = counts.tasks.get(name);
        if (cell !== undefined && cell.runs > 0) {
          sum.minMs = Math.min(sum.minMs, cell.minMs);
          sum.maxMs = Math.max(sum.maxMs, cell.maxMs);
        }
      }
    }
    this.#total.minMs = Math.min(...[...this.#window.values()].map((sum) => sum.minMs));
    this.#total.maxMs = Math.max(0, ...[...this.#window.values()].map((sum) => sum.maxMs));
  }

  /** The name `name`'s events of `minute` are counted under. */
  #admit(counts: Minute, minute: number, name: string): string {
    if (counts.tasks.has(name)) return name;
    if (counts.tasks.size >= TALLY_TASKS_MAX) return OTHER_TASKS;
    const before = this.#minutes.get(minute - 1)?.tasks;
    const fresh = before === undefined || !before.has(name);
    if (fresh) {
      if (counts.fresh >= TALLY_NEW_TASKS_MAX) return OTHER_TASKS;
      counts.fresh++;
    }
    return name;
  }

  /** Which names may have events under {@linkcode OTHER_TASKS}: absent from a minute that has some. */
  #partialNames(): (task: string) => boolean {
    const crowded = [...this.#minutes.values()].filter((m) => m.tasks.has(OTHER_TASKS));
    return (task) => task !== OTHER_TASKS && crowded.some((minute) => !minute.tasks.has(task));
  }

  #sortMinutes(): void {
    const sorted = [...this.#minutes].sort(([a], [b]) => a - b);
    this.#minutes.clear();
    for (const [minute, counts] of sorted) this.#minutes.set(minute, counts);
  }
}

/** Rows with the most events first, then by name. */
function mostEventsFirst(
  a: { readonly task: string; readonly events: number },
  b: { readonly task: string; readonly events: number },
): number {
  return b.events - a.events || (a.task < b.task ? -1 : 1);
}

/** The name a task is counted under: as the feed names it. */
function nameOf(task: string | undefined): string {
  if (task === undefined || task === "") return UNNAMED_TASK;
  return task.length > TALLY_NAME_MAX ? clipText(task, NAME_MAX) : task;
}
