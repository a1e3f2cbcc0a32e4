/**
 * Exact accounting of a fault scenario: which task ids the producers had confirmed, which ids
 * any worker reported done (workers that were killed included), how often, which were
 * dead-lettered, and so which were lost.
 *
 * - enqueued: ids a producer confirmed (the CLI prints `enqueued <task> <id>` per confirm, which
 *   `enqueuedIds` of tests/_helpers/cli.ts reads);
 * - completed: distinct ids with a `task.done` line in any worker's log (a worker logs
 *   `task.done` BEFORE it acks, so every acked task has its line, even in a killed worker's log);
 * - duplicates: `task.done` lines beyond the first per id (at-least-once allows them);
 * - dead: ids of `task.dead` lines, and of messages found in the `<queue>.dead` queue;
 * - lost: enqueued ids neither completed nor dead. Must be 0.
 *
 * @module
 */
import type { GetMessage } from "amqplib";
import type { LogLine } from "../_helpers/cli.ts";

/** Anything that has JSON log lines: a `WorkerProcess`, or an array of lines. */
export interface LogSource {
  /** Every log line so far; only ever appended to. */
  readonly lines: readonly LogLine[];
}

/** What a scenario came to. */
export interface Tally {
  /** Ids the producers confirmed. */
  readonly enqueued: number;
  /** Enqueued ids done at least once. */
  readonly completed: number;
  /** `task.done` lines beyond the first per id. */
  readonly duplicates: number;
  /** Enqueued ids dead-lettered. */
  readonly dead: number;
  /** Enqueued ids neither completed nor dead. */
  readonly lost: number;
  /** The lost ids themselves (at most 10), to quote in a failure. */
  readonly lostIds: readonly string[];
  /** Ids done or dead that no producer confirmed (at most 10). */
  readonly unknownIds: readonly string[];
}

/**
 * Follows the logs of every worker of a scenario and the ids its producers confirmed. Lines are
 * scanned incrementally, so {@linkcode Ledger.settled} is cheap enough to poll.
 */
export class Ledger {
  readonly #enqueued = new Set<string>();
  readonly #done = new Map<string, number>();
  readonly #dead = new Map<string, string>();
  readonly #sources: { source: LogSource; seen: number }[] = [];

  /** Counts the ids as confirmed by a producer. */
  addEnqueued(ids: Iterable<string>): void {
    for (const id of ids) this.#enqueued.add(id);
  }

  /** Follows the log lines of a worker (from its first line, now and later). */
  follow(source: LogSource): void {
    this.#sources.push({ source, seen: 0 });
  }

  /** Counts the messages taken from the `.dead` queue as dead letters (by message id). */
  addDeadLetters(letters: readonly Pick<GetMessage, "properties">[]): void {
    for (const letter of letters) {
      const id: unknown = letter.properties.messageId;
      if (typeof id !== "string") throw new Error("a dead letter without a message id");
      const reason: unknown = letter.properties.headers?.["x-warren-reason"];
      this.#dead.set(id, typeof reason === "string" ? reason : "?");
    }
  }

  #scan(): void {
    for (const entry of this.#sources) {
      const lines = entry.source.lines;
      for (; entry.seen < lines.length; entry.seen++) {
        const line = lines[entry.seen]!;
        if (typeof line.id !== "string") continue;
        if (line.event === "task.done") {
          this.#done.set(line.id, (this.#done.get(line.id) ?? 0) + 1);
        } else if (line.event === "task.dead") {
          this.#dead.set(line.id, String(line.reason));
        }
      }
    }
  }

  /** How many enqueued ids are done (distinct). */
  completedCount(): number {
    this.#scan();
    let count = 0;
    for (const id of this.#enqueued) if (this.#done.has(id)) count++;
    return count;
  }

  /** How many `task.done` lines there are in all, duplicates included. */
  doneLines(): number {
    this.#scan();
    let count = 0;
    for (const n of this.#done.values()) count += n;
    return count;
  }

  /** How many ids the producers confirmed so far. */
  get enqueuedCount(): number {
    return this.#enqueued.size;
  }

  /** Whether every enqueued id (at least `expected` of them) is done or dead. */
  settled(expected: number): boolean {
    if (this.#enqueued.size < expected) return false;
    this.#scan();
    for (const id of this.#enqueued) {
      if (!this.#done.has(id) && !this.#dead.has(id)) return false;
    }
    return true;
  }

  /** Whether `id` is done or dead. */
  accounted(id: string): boolean {
    this.#scan();
    return this.#done.has(id) || this.#dead.has(id);
  }

  /** The dead ids with the reason each was given up for. */
  deadReasons(): ReadonlyMap<string, string> {
    this.#scan();
    return this.#dead;
  }

  /** The scenario's tally. */
  tally(): Tally {
    this.#scan();
    let completed = 0, duplicates = 0, dead = 0;
    const lost: string[] = [];
    for (const id of this.#enqueued) {
      const done = this.#done.get(id) ?? 0;
      if (done > 0) completed++;
      if (this.#dead.has(id)) dead++;
      if (done === 0 && !this.#dead.has(id)) lost.push(id);
    }
    for (const n of this.#done.values()) duplicates += Math.max(0, n - 1);
    const unknown = [...this.#done.keys(), ...this.#dead.keys()]
      .filter((id) => !this.#enqueued.has(id));
    return {
      enqueued: this.#enqueued.size,
      completed,
      duplicates,
      dead,
      lost: lost.length,
      lostIds: lost.slice(0, 10),
      unknownIds: [...new Set(unknown)].slice(0, 10),
    };
  }
}

/** The report line of a scenario: `scenario <name>: enqueued N, completed N, …`. */
export function formatTally(name: string, tally: Tally): string {
  return `scenario ${name}: enqueued ${tally.enqueued}, completed ${tally.completed}, ` +
    `duplicates ${tally.duplicates}, dead ${tally.dead}, lost ${tally.lost}`;
}
