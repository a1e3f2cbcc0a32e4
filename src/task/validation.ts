/**
 * Payload validation against a task's schema, with zod's issues turned into readable messages.
 *
 * @module
 */
import type { z } from "../deps/zod.ts";
import { ValidationError, type ValidationIssue } from "../errors/validation_error.ts";
import type { AnyContract } from "./contract.ts";

/** Turns zod issues into {@linkcode ValidationIssue}s naming their fields. */
export function toIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

/** Parses `payload` with the task's schema; throws {@linkcode ValidationError} naming each field. */
export function validatePayload(contract: AnyContract, payload: unknown): Record<string, unknown> {
  const parsed = contract.schema.safeParse(payload);
  if (!parsed.success) throw new ValidationError(contract.name, toIssues(parsed.error.issues));
  return parsed.data;
}
