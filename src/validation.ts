/**
 * Payload validation against a task's schema, with zod's issues turned into readable messages.
 *
 * @module
 */
import type { z } from "zod";
import type { AnyTask } from "./catalog.ts";
import { ValidationError, type ValidationIssue } from "./errors.ts";

/** Turns zod issues into {@linkcode ValidationIssue}s naming their fields. */
export function toIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/** Parses `payload` with the task's schema; throws {@linkcode ValidationError} naming each field. */
export function validatePayload(task: AnyTask, payload: unknown): Record<string, unknown> {
  const parsed = task.schema.safeParse(payload);
  if (!parsed.success) throw new ValidationError(task.name, toIssues(parsed.error.issues));
  return parsed.data;
}
