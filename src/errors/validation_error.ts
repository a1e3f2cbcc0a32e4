/**
 * {@linkcode ValidationError}: a payload that its task's schema refuses.
 *
 * @module
 */

/** One problem found in a payload: where it is and what is wrong. */
export interface ValidationIssue {
  /** The path of the field, e.g. `end` or `items.2.name`; empty for the payload itself. */
  readonly path: string;
  /** What is wrong with it. */
  readonly message: string;
}

/** Issues as one line: `end: Too small: expected number to be >=1; start: Required`. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
}

/** A payload (or a result) that does not match its task's schema. Nothing was published. */
export class ValidationError extends Error {
  /** The task whose schema refused the value, if the message named one. */
  readonly task: string | undefined;
  /** Each problem found, with the field it concerns. */
  readonly issues: readonly ValidationIssue[];

  /**
   * Creates a validation error for `task` (if known) from its issues; `what` names the value
   * (default: the task's payload).
   */
  constructor(
    task: string | undefined,
    issues: readonly ValidationIssue[],
    options?: ErrorOptions & { what?: string },
  ) {
    const what = options?.what ??
      (task === undefined ? "Invalid task message" : `Invalid payload for task '${task}'`);
    super(`${what}: ${formatIssues(issues)}`, options);
    this.name = "ValidationError";
    this.task = task;
    this.issues = issues;
  }
}
