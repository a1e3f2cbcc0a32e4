/**
 * Command-line flags derived from a task's payload schema: `--start 1 --end 10` for
 * `{ start: number, end: number }`. Field names in camelCase become kebab-case flags.
 *
 * @module
 */
import { z } from "zod";
import type { AnyTask } from "../catalog.ts";
import { ValidationError } from "../errors.ts";

/** The kind of value a flag takes. */
export type FlagKind = "integer" | "number" | "string" | "boolean" | "json";

/** A flag that sets one payload field. */
export interface TaskFlag {
  /** The flag, without dashes: `max-size`. */
  readonly flag: string;
  /** The payload field: `maxSize`. */
  readonly field: string;
  /** How the value is parsed. */
  readonly kind: FlagKind;
  /** Whether the payload needs it. */
  readonly required: boolean;
  /** The field's description, constraints and default, for help. */
  readonly help: string;
}

interface FieldSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  enum?: unknown[];
}

const SAFE = Number.MAX_SAFE_INTEGER;

function kindOf(field: FieldSchema): FlagKind {
  const type = Array.isArray(field.type) ? field.type.find((t) => t !== "null") : field.type;
  switch (type) {
    case "integer":
    case "number":
    case "string":
    case "boolean":
      return type;
    default:
      return "json";
  }
}

function describeField(field: FieldSchema, kind: FlagKind): string {
  const notes: string[] = [kind];
  if (field.minimum !== undefined && field.minimum > -SAFE) notes.push(`>= ${field.minimum}`);
  if (field.maximum !== undefined && field.maximum < SAFE) notes.push(`<= ${field.maximum}`);
  if (field.maxLength !== undefined) notes.push(`at most ${field.maxLength} characters`);
  if (field.enum) notes.push(`one of ${field.enum.map(String).join(", ")}`);
  if (field.default !== undefined) notes.push(`default ${JSON.stringify(field.default)}`);
  return [field.description, `(${notes.join(", ")})`].filter(Boolean).join(" ");
}

/** The flags of a task, one per payload field, in the schema's order. */
export function taskFlags(task: AnyTask): TaskFlag[] {
  const json = z.toJSONSchema(task.schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, FieldSchema>;
    required?: string[];
  };
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([field, schema]) => {
    const kind = kindOf(schema);
    return {
      flag: field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
      field,
      kind,
      required: required.has(field),
      help: describeField(schema, kind),
    };
  });
}

function parseValue(task: string, flag: TaskFlag, raw: string): unknown {
  const fail = (message: string) =>
    new ValidationError(task, [{ path: flag.field, message: `--${flag.flag} ${message}` }]);
  switch (flag.kind) {
    case "integer":
    case "number": {
      // Plain decimals, with `_` between digits and an exponent allowed: 1_000, 1e9, -2.5.
      const text = raw.trim().replaceAll(/(?<=\d)_(?=\d)/g, "");
      if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) {
        throw fail(`expects ${flag.kind === "integer" ? "an integer" : "a number"}, got '${raw}'`);
      }
      return Number(text);
    }
    case "json":
      try {
        return JSON.parse(raw);
      } catch {
        throw fail(`expects a JSON value, got '${raw}'`);
      }
    default:
      return raw;
  }
}

/**
 * Builds a payload from parsed flag values (strings, or booleans for boolean fields); fields
 * whose flag is absent are left out, so that the schema's defaults and errors apply.
 */
export function payloadFromFlags(
  task: AnyTask,
  flags: readonly TaskFlag[],
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const flag of flags) {
    const value = values[flag.flag];
    if (value === undefined) continue;
    payload[flag.field] = typeof value === "string" ? parseValue(task.name, flag, value) : value;
  }
  return payload;
}

/**
 * The values of the task flags that `args` actually names. Boolean flags that are absent are
 * left out (a parser may report them as `false`), so that the schema's defaults apply.
 */
export function givenFlagValues(
  flags: readonly TaskFlag[],
  args: readonly string[],
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const named = (flag: string) =>
    args.some((arg) => arg === `--${flag}` || arg.startsWith(`--${flag}=`));
  return Object.fromEntries(
    flags.filter((f) => named(f.flag) && values[f.flag] !== undefined).map((
      f,
    ) => [f.flag, values[f.flag]]),
  );
}
