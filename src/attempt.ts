/**
 * One attempt of a task: the handler runs with a signal that fires at the task's time limit or
 * when the worker gives the task up; the attempt ends at whichever comes first.
 *
 * @module
 */
import type { AnyTask, TaskContext } from "./catalog.ts";
import { TaskTimeoutError } from "./errors.ts";

/** How an attempt ended. */
export type AttemptResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/**
 * Runs the handler of `task`. The context's signal fires after `timeoutMs` (with a
 * {@linkcode TaskTimeoutError}) or when `cancel` fires (with its reason); the attempt then fails
 * at once, even if the handler ignores the signal.
 */
export async function runAttempt(
  task: AnyTask,
  payload: Record<string, unknown>,
  context: Omit<TaskContext, "signal">,
  timeoutMs: number,
  cancel: AbortSignal,
): Promise<AttemptResult> {
  const controller = new AbortController();
  const { signal } = controller;
  const timer = setTimeout(
    () => controller.abort(new TaskTimeoutError(task.name, timeoutMs)),
    timeoutMs,
  );
  const onCancel = () => controller.abort(cancel.reason);
  if (cancel.aborted) onCancel();
  else cancel.addEventListener("abort", onCancel, { once: true });
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  try {
    const work = (async () => await task.handler(payload, { ...context, signal }))();
    return { ok: true, value: await Promise.race([work, aborted]) };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
    cancel.removeEventListener("abort", onCancel);
    aborted.catch(() => {});
  }
}
