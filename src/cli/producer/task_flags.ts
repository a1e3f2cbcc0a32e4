/**
 * Command-line flags derived from a task's payload schema: `--start 1 --end 10` for
 * `{ start: number, end: number }`. Field names in camelCase become kebab-case flags.
 *
 * @module
 */
import { z } from "../../deps/zod.ts";
import type { AnyContract } from "../../task/contract.ts";
import type { NumberRule } from "../../util/numbers.ts";
import { parseNumberFlag } from "../shared/args.ts";
import { UsageError } from "../shared/exit.ts";
import { ValidationError, type ValidationIssue } from "../../errors/validation_error.ts";

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
  /** For number fields: what the value must be (from the schema's bounds). */
  readonly rule?: NumberRule;
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
export function taskFlags(task: AnyContract): TaskFlag[] {
  const json = z.toJSONSchema(task.schema, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, FieldSchema>;
    required?: string[];
  };
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([field, schema]) => {
    const kind = kindOf(schema);
    const numeric = kind === "integer" || kind === "number";
    return {
      flag: field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
      field,
      kind,
      required: required.has(field),
      help: describeField(schema, kind),
      ...(numeric ? { rule: ruleOf(schema, kind === "integer") } : {}),
    };
  });
}

/** What a number field's value must be: integer or not, within the schema's bounds. */
function ruleOf(field: FieldSchema, integer: boolean): NumberRule {
  const rule: { integer: boolean; min?: number; max?: number } = { integer };
  if (field.minimum !== undefined && field.minimum > -SAFE) rule.min = field.minimum;
  if (field.maximum !== undefined && field.maximum < SAFE) rule.max = field.maximum;
  return rule;
}

function parseValue(flag: TaskFlag, raw: string): unknown {
  if (flag.rule) return parseNumberFlag(flag.flag, raw, flag.rule);
  if (flag.kind !== "json") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new UsageError(`--${flag.flag} must be a JSON value: got '${raw}'`);
  }
}

/**
 * Builds a payload from parsed flag values (strings, or booleans for boolean fields); fields
 * whose flag is absent are left out, so that the schema's defaults and errors apply.
 */
export function payloadFromFlags(
  flags: readonly TaskFlag[],
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const flag of flags) {
    const value = values[flag.flag];
    if (value === undefined) continue;
    payload[flag.field] = typeof value === "string" ? parseValue(flag, value) : value;
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

/**
 * A payload built from flags that its schema refused, worded in flags: a field left out is
 * `--end is required`, a bad one `--end: <what is wrong>`. Issues of no flag's field stay as
 * they are. The result is a usage error, so that the CLI points to the task's help.
 */
export function flagValidationError(
  flags: readonly TaskFlag[],
  payload: Readonly<Record<string, unknown>>,
  err: ValidationError,
): UsageError {
  const issues = err.issues.map((issue): ValidationIssue => {
    const [field = "", ...rest] = issue.path.split(".");
    const flag = flags.find((f) => f.field === field);
    if (flag === undefined) return issue;
    if (rest.length === 0 && payload[field] === undefined) {
      return { path: "", message: `--${flag.flag} is required` };
    }
    return { path: [`--${flag.flag}`, ...rest].join("."), message: issue.message };
  });
  const worded = new ValidationError(err.task, issues);
  return new UsageError(worded.message, { cause: err });
}
