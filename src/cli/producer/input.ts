/**
 * Where the producer CLI's tasks come from: flags, `--json` or `--file`. Every task is built
 * and checked before any connection is made, so bad input publishes nothing.
 *
 * @module
 */
import type { Catalog } from "../../task/catalog.ts";
import type { AnyContract } from "../../task/contract.ts";
import type { PrepareOptions } from "../../task/prepare.ts";
import type { EncodedTask } from "../../wire/task_codec.ts";
import { UnknownTaskError } from "../../errors/unknown_task_error.ts";
import { ValidationError } from "../../errors/validation_error.ts";
import { prepareTask, prepareWireTask } from "../../task/prepare.ts";
import { integerFlag, type ParsedArgs, stringFlag } from "../shared/args.ts";
import { UsageError } from "../shared/exit.ts";
import { lineSource } from "./lines.ts";
import {
  flagValidationError,
  givenFlagValues,
  payloadFromFlags,
  type TaskFlag,
} from "./task_flags.ts";

/** The most copies `--count` publishes in one run (more: run it again, or use --file). */
export const MAX_COUNT = 1_000_000;

const MAX_REPORTED_LINES = 10;

/** The tasks to publish, checked. */
export interface TaskInput {
  /** How many tasks there are. */
  readonly total: number;
  /** The tasks, as a fresh iteration each time, encoded with `options`. */
  readonly messages: (
    options?: PrepareOptions,
  ) => Iterable<EncodedTask> | AsyncIterable<EncodedTask>;
}

function fromPayload(
  catalog: Catalog,
  name: string,
  payload: Record<string, unknown>,
  count: number,
  base: PrepareOptions,
): TaskInput {
  // Throws on invalid input before anything is published.
  prepareTask(catalog, name, payload, base);
  return {
    total: count,
    messages: function* (options = {}) {
      for (let i = 0; i < count; i++) {
        yield prepareTask(catalog, name, payload, { ...base, ...options });
      }
    },
  };
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--json holds no valid JSON (${(err as Error).message}): give ${what}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`--json must be a JSON object: give ${what}`);
  }
  return value as Record<string, unknown>;
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw new ValidationError(undefined, [{
      path: "",
      message: `not JSON (${(err as Error).message})`,
    }]);
  }
}

async function fromFile(catalog: Catalog, path: string, base: PrepareOptions): Promise<TaskInput> {
  const lines = await lineSource(path);
  const problems: string[] = [];
  let total = 0;
  let bad = 0;
  const where = path === "-" ? "stdin" : path;
  for await (const [number, line] of lines()) {
    if (line.trim() === "") continue;
    try {
      prepareWireTask(catalog, parseLine(line), base);
      total++;
    } catch (err) {
      if (!(err instanceof ValidationError || err instanceof UnknownTaskError)) throw err;
      if (++bad <= MAX_REPORTED_LINES) problems.push(`${where}:${number}: ${err.message}`);
    }
  }
  if (bad > 0) {
    const more = bad > MAX_REPORTED_LINES ? `\n… and ${bad - MAX_REPORTED_LINES} more` : "";
    throw new UsageError(
      `${bad} bad line(s) in ${where}; nothing was published:\n${problems.join("\n")}${more}`,
    );
  }
  return {
    total,
    messages: async function* (options = {}) {
      for await (const [, line] of lines()) {
        if (line.trim() !== "") {
          yield prepareWireTask(catalog, parseLine(line), { ...base, ...options });
        }
      }
    },
  };
}

/**
 * Reads the tasks from the parsed flags: `<task>` with field flags or `--json`, a whole task in
 * `--json`, or `--file`. `args` are the raw arguments (to tell given boolean fields); `base`
 * holds what every task gets (size limit, delay, expiry, priority), checked with the rest.
 */
export function readTaskInput(
  catalog: Catalog,
  task: AnyContract | undefined,
  flags: readonly TaskFlag[],
  parsed: ParsedArgs,
  args: readonly string[],
  base: PrepareOptions,
): TaskInput | Promise<TaskInput> {
  const json = stringFlag(parsed.flags, "json");
  const file = stringFlag(parsed.flags, "file");
  const count = integerFlag(parsed.flags, "count", 1, 1, MAX_COUNT);
  const given = givenFlagValues(flags, args, parsed.flags);
  if (file !== undefined) {
    if (task || json !== undefined || parsed.flags.count !== undefined) {
      throw new UsageError(
        "--file holds whole tasks: give it alone, without <task>, --json or --count",
      );
    }
    return fromFile(catalog, file, base);
  }
  if (task) {
    if (json !== undefined && Object.keys(given).length > 0) {
      throw new UsageError(`give the payload of '${task.name}' as flags or as --json, not both`);
    }
    if (json !== undefined) {
      const payload = parseJsonObject(json, `the payload of '${task.name}' as a JSON object`);
      return fromPayload(catalog, task.name, payload, count, base);
    }
    const payload = payloadFromFlags(flags, given);
    try {
      return fromPayload(catalog, task.name, payload, count, base);
    } catch (err) {
      throw err instanceof ValidationError ? flagValidationError(flags, payload, err) : err;
    }
  }
  if (json !== undefined) {
    const body = parseJsonObject(json, `a task such as {"task": "${catalog.names[0]}", ...}`);
    const message = prepareWireTask(catalog, body, base);
    const { task: _name, ...payload } = body;
    return fromPayload(catalog, message.task, payload, count, base);
  }
  throw new UsageError("name a task, or give --json or --file");
}
