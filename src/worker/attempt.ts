/**
 * One attempt of a task: the handler runs with a signal that fires at the task's time limit or
 * when the worker gives the task up; the attempt ends at whichever comes first.
 *
 * @module
 */
import type { TaskContext } from "../task/context.ts";
import type { BoundTask } from "../task/handlers.ts";
import { TaskTimeoutError } from "../errors/task_timeout_error.ts";
import type { Logger } from "../util/logger.ts";

/** How an attempt ended. */
export type AttemptResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** The context a handler sees: the worker's fields (read when asked) and the attempt's signal. */
class AttemptContext implements TaskContext {
  readonly #base: Omit<TaskContext, "signal">;
  readonly signal: AbortSignal;

  constructor(base: Omit<TaskContext, "signal">, signal: AbortSignal) {
    this.#base = base;
    this.signal = signal;
  }

  get attempt(): number {
    return this.#base.attempt;
  }

  get id(): string {
    return this.#base.id;
  }

  get task(): string {
    return this.#base.task;
  }

  get log(): Logger {
    return this.#base.log;
  }

  /** Bound, so that a handler may take it out of its context: `{ progress }`. */
  readonly progress = (fraction: number, note?: string): void => {
    this.#base.progress(fraction, note);
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * Runs the handler of `task` (a contract and its handler). The context's signal fires after `timeoutMs` (with a
 * {@linkcode TaskTimeoutError}) or when `cancel` fires (with its reason); the attempt then fails
 * at once, even if the handler ignores the signal. A handler that returns without a promise
 * costs no timer.
 */
export function runAttempt(
  task: BoundTask,
  payload: Record<string, unknown>,
  context: Omit<TaskContext, "signal">,
  timeoutMs: number,
  cancel: AbortSignal,
): Promise<AttemptResult> {
  const controller = new AbortController();
  if (cancel.aborted) controller.abort(cancel.reason);
  let returned: unknown;
  try {
    returned = task.handler(payload, new AttemptContext(context, controller.signal));
  } catch (error) {
    return Promise.resolve({ ok: false, error });
  }
  if (!isThenable(returned)) {
    const { signal } = controller;
    return Promise.resolve(
      signal.aborted ? { ok: false, error: signal.reason } : { ok: true, value: returned },
    );
  }
  return untilLimit(returned, controller, cancel, timeoutMs, task.contract.name);
}

async function untilLimit(
  work: PromiseLike<unknown>,
  controller: AbortController,
  cancel: AbortSignal,
  timeoutMs: number,
  task: string,
): Promise<AttemptResult> {
  const { signal } = controller;
  const timer = setTimeout(
    () => controller.abort(new TaskTimeoutError(task, timeoutMs)),
    timeoutMs,
  );
  const onCancel = () => controller.abort(cancel.reason);
  cancel.addEventListener("abort", onCancel, { once: true });
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  try {
    return { ok: true, value: await Promise.race([work, aborted]) };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
    cancel.removeEventListener("abort", onCancel);
    aborted.catch(() => {});
  }
}
