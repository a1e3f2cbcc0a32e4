/**
 * The version of a task contract: a short hash of its payload and result schemas, as JSON
 * Schema. It changes when a field is added, removed, renamed or retyped, or a bound or default
 * changes, not when fields are reordered; refinements written as code (`.refine`) do not show
 * in it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { z } from "../deps/zod.ts";
import type { ResultSchema } from "./contract.ts";

/** A schema as JSON Schema with sorted keys, for hashing; `{}` for what JSON Schema cannot say. */
function canonical(schema: ResultSchema, io: "input" | "output"): unknown {
  let json: unknown;
  try {
    json = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  } catch {
    json = {};
  }
  return sortKeys(json);
}

/** Keys sorted, and lists of names (`required`, `enum` of strings) too: order changes nothing. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.every((item) => typeof item === "string")
      ? [...value].sort()
      : value.map(sortKeys);
  }
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, item]) => [key, sortKeys(item)]));
}

/** The version of a contract with these schemas: 8 hex digits. */
export function contractVersion(payload: ResultSchema, result: ResultSchema): string {
  const text = JSON.stringify({
    payload: canonical(payload, "input"),
    result: canonical(result, "input"),
  });
  return createHash("sha256").update(text).digest("hex").slice(0, 8);
}

/** Whether `type`, a message's `type` property, carries a contract version (8 hex digits). */
export function isVersion(type: unknown): type is string {
  return typeof type === "string" && /^[0-9a-f]{8}$/.test(type);
}
