/**
 * A summary line every few seconds for a worker watched on a terminal: tasks done, failed and
 * dead-lettered so far, the rate over the last interval and the tasks in flight. A line is
 * printed only when one of these changed since the last one, so an idle worker is silent.
 *
 * @module
 */
import type { TaskEvent } from "../../worker/events.ts";
import type { Logger } from "../../util/logger.ts";

/** The fields of a `worker.summary` line. */
export interface SummaryFields {
  /** Tasks done so far. */
  readonly done: number;
  /** Attempts failed so far. */
  readonly failed: number;
  /** Tasks dead-lettered so far. */
  readonly dead: number;
  /** Tasks done per second over the last interval. */
  readonly rate: number;
  /** Deliveries being worked on. */
  readonly inFlight: number;
}

/** Counts events, and says at each interval what to print, if anything changed. */
export class SummaryCounter {
  readonly #intervalMs: number;
  #done = 0;
  #failed = 0;
  #dead = 0;
  #lastDone = 0;
  // As if a line of zeros was printed: a worker that never works never prints one.
  #last: string = JSON.stringify({ done: 0, failed: 0, dead: 0, rate: 0, inFlight: 0 });

  /** A counter whose rate is over `intervalMs`. */
  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** Counts one event. */
  record(event: TaskEvent): void {
    if (event.event === "task.done") this.#done++;
    else if (event.event === "task.failed") this.#failed++;
    else if (event.event === "task.dead") this.#dead++;
  }

  /** The line of this interval, or `undefined` when it would repeat the last one printed. */
  tick(inFlight: number): SummaryFields | undefined {
    const rate = Math.round(((this.#done - this.#lastDone) * 1000) / this.#intervalMs * 10) / 10;
    this.#lastDone = this.#done;
    const fields = { done: this.#done, failed: this.#failed, dead: this.#dead, rate, inFlight };
    const key = JSON.stringify(fields);
    if (key === this.#last) return undefined;
    this.#last = key;
    return fields;
  }
}

/** Logs `worker.summary` every `intervalMs` from the events it is given; returns a stop function. */
export function startSummary(
  subscribe: (listener: (event: TaskEvent) => void) => () => void,
  inFlight: () => number,
  logger: Logger,
  intervalMs = 5_000,
): () => void {
  const counter = new SummaryCounter(intervalMs);
  const unsubscribe = subscribe((event) => counter.record(event));
  const timer = setInterval(() => {
    const fields = counter.tick(inFlight());
    if (fields !== undefined) logger.info("worker.summary", { ...fields });
  }, intervalMs);
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
