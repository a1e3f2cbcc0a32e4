/**
 * A summary line every few seconds for a worker watched on a terminal: tasks done, failed and
 * dead-lettered so far, and the rate over the last interval.
 *
 * @module
 */
import type { TaskEvent } from "../../worker/events.ts";
import type { Logger } from "../../util/logger.ts";

/** Logs `worker.summary` every `intervalMs` from the events it is given; returns a stop function. */
export function startSummary(
  subscribe: (listener: (event: TaskEvent) => void) => () => void,
  inFlight: () => number,
  logger: Logger,
  intervalMs = 5_000,
): () => void {
  const totals = { done: 0, failed: 0, dead: 0 };
  let lastDone = 0;
  const unsubscribe = subscribe((event) => {
    if (event.event === "task.done") totals.done++;
    else if (event.event === "task.failed") totals.failed++;
    else if (event.event === "task.dead") totals.dead++;
  });
  const timer = setInterval(() => {
    const rate = Math.round(((totals.done - lastDone) * 1000) / intervalMs * 10) / 10;
    lastDone = totals.done;
    logger.info("worker.summary", { ...totals, rate, inFlight: inFlight() });
  }, intervalMs);
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
