/**
 * Following the results: matching the workers' log lines to the tasks the producer sent.
 *
 * @module
 */
import type { TaskDead, TaskDone, TaskFailed } from "../../src/worker/events.ts";
import { QUEUE } from "./settings.ts";
import { type DemoTask, describeArgs } from "./tasks.ts";
import type { LogLine } from "./worker_process.ts";

/** One finished task: which worker did it, and what it reported. */
export interface Outcome {
  /** The worker's label: `w1`. */
  readonly worker: string;
  /** The task as sent. */
  readonly task: DemoTask;
  /** The worker's `task.done` line, when the task succeeded. */
  readonly done?: TaskDone;
  /** The worker's `task.dead` line, when the task was dead-lettered. */
  readonly dead?: TaskDead;
}

/**
 * Matches workers' `task.done` and `task.dead` lines to the tasks sent. The producer prints
 * `enqueued <task> <id>` as the broker confirms each message; confirms on one channel come in
 * publishing order, so the n-th id of a task name belongs to the n-th task of that name sent.
 */
export class Tracker {
  readonly #tasks: readonly DemoTask[];
  readonly #byId = new Map<string, DemoTask>();
  readonly #assigned = new Set<number>();
  readonly #waiting = new Map<string, { worker: string; line: LogLine }>();
  readonly #finished = new Set<string>();
  readonly #all = Promise.withResolvers<void>();
  /** The finished tasks, in the order their results came. */
  readonly outcomes: Outcome[] = [];
  /** The retry queues the workers declared (`warren_demo.retry.<ms>`), to delete at the end. */
  readonly retryQueues = new Set<string>();
  /** Tasks reported finished more than once (at-least-once delivery, after a redelivery). */
  readonly duplicates: string[] = [];
  /** Called with each new outcome. */
  onOutcome: (outcome: Outcome) => void = () => {};

  /** Follows the results of `tasks`, the tasks in the order the producer sends them. */
  constructor(tasks: readonly DemoTask[]) {
    this.#tasks = tasks;
  }

  /** Resolves when every task has an outcome. */
  get finished(): Promise<void> {
    return this.#all.promise;
  }

  /** Records the id the producer printed for the next task named `name`. */
  enqueued(name: string, id: string): void {
    const index = this.#tasks.findIndex((t, i) => t.task === name && !this.#assigned.has(i));
    if (index < 0) return;
    this.#assigned.add(index);
    this.#byId.set(id, this.#tasks[index]!);
    const waiting = this.#waiting.get(id);
    if (waiting) {
      this.#waiting.delete(id);
      this.#record(waiting.worker, waiting.line);
    }
  }

  /** Takes a worker's log line (and prints a failed attempt at once). */
  logged(worker: string, line: LogLine): void {
    if (line.event === "task.failed") {
      const failed = line as unknown as TaskFailed;
      this.retryQueues.add(`${QUEUE}.retry.${failed.retryIn}`);
      console.log(
        `  ${worker}  ${failed.task} failed (attempt ${failed.attempt}): ${failed.error}`,
      );
      return;
    }
    if (line.event !== "task.done" && line.event !== "task.dead") return;
    const id = String(line.id);
    if (this.#byId.has(id)) this.#record(worker, line);
    else this.#waiting.set(id, { worker, line }); // the producer has not printed this id yet
  }

  #record(worker: string, line: LogLine): void {
    const id = String(line.id);
    const task = this.#byId.get(id)!;
    if (this.#finished.has(id)) {
      this.duplicates.push(`${task.task} ${describeArgs(task)} finished again, by ${worker}`);
      return;
    }
    this.#finished.add(id);
    const outcome: Outcome = line.event === "task.done"
      ? { worker, task, done: line as unknown as TaskDone }
      : { worker, task, dead: line as unknown as TaskDead };
    this.outcomes.push(outcome);
    this.onOutcome(outcome);
    if (this.outcomes.length === this.#tasks.length) this.#all.resolve();
  }
}
