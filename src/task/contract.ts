/**
 * Task contracts: {@linkcode defineTask}. A contract is what producers and workers agree on (a
 * task's name, the schema of its payload, the schema of its result, and how it is run) and
 * holds no code that does the work: handlers are bound to contracts on the worker's side
 * (`defineHandlers`), so a producer that imports a contract loads nothing its handler needs.
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";
import { TASK_KEY } from "../wire/task_codec.ts";
import type { ZodObject, ZodType, ZodUnknown } from "../deps/zod.ts";
import { z } from "../deps/zod.ts";
import {
  type KeySelector,
  type ResolvedTaskOptions,
  resolveTaskOptions,
  type TaskOptions,
} from "./options.ts";
import { contractVersion } from "./version.ts";

/** The schema of a task's payload: a zod object (refinements allowed, the key `task` reserved). */
export type PayloadSchema = ZodObject;

/**
 * The schema of a task's result: any zod schema whose input side is JSON. A codec
 * (`z.codec(z.string(), z.bigint(), …)`) carries values that JSON cannot, such as bigints:
 * the worker encodes the handler's value, the producer decodes it back.
 */
export type ResultSchema = ZodType;

/** The result schema of a contract defined without one: any JSON value, typed `unknown`. */
export type UnknownResult = ZodUnknown;

/** What a schema accepts: the type a producer sends (zod's `z.input`). */
export type SchemaInput<S extends ResultSchema> = S["_zod"]["input"];

/** What a schema parses into: the type a handler receives (zod's `z.output`). */
export type SchemaOutput<S extends ResultSchema> = S["_zod"]["output"];

/** What {@linkcode defineTask} takes: a name, a payload schema, a result schema and options. */
export interface TaskSpec<N extends string, S extends PayloadSchema, R extends ResultSchema>
  extends TaskOptions {
  /** The task's name, as it travels in the message body's `task` key. */
  name: N;
  /** The payload's schema. Producers send `SchemaInput<S>`; the handler receives `SchemaOutput<S>`. */
  schema: S;
  /**
   * The result's schema: the handler returns `SchemaOutput<R>`, and so does awaiting the
   * task's result.
   * @default {z.unknown(): any JSON value, typed `unknown`}
   */
  result?: R;
  /**
   * The task's key, taken from its payload: a field's name, or a function of the payload (as it
   * travels, in JSON). Tasks of one key run at most `keyConcurrency` at a time across every
   * worker (1 by default: one at a time, in enqueue order). A key is a string or a number.
   * @default {none}
   */
  key?: (keyof SchemaOutput<S> & string) | ((payload: SchemaOutput<S>) => string | number);
}

/** A task contract: its spec with every option resolved, and the contract's version. */
export interface TaskContract<
  N extends string = string,
  S extends PayloadSchema = PayloadSchema,
  R extends ResultSchema = ResultSchema,
> extends ResolvedTaskOptions {
  /** The task's name. */
  readonly name: N;
  /** The payload's schema. */
  readonly schema: S;
  /** The result's schema. */
  readonly result: R;
  /**
   * A short hash of the payload and result schemas (8 hex digits). Messages carry it, so that a
   * worker notices a producer built from another version of the contract.
   */
  readonly version: string;
  /** How a key is read from the payload, when the task has one. */
  readonly key: KeySelector | undefined;
  /** The field the key is read from, when it was given as a field's name. */
  readonly keyField: string | undefined;
}

/** Any task contract, whatever its name and schemas. */
export type AnyContract = TaskContract<string, PayloadSchema, ResultSchema>;

const NAME_PATTERN = /^[a-z][a-z0-9_.-]*$/i;

/** Whether `name` can name a task: a letter, then letters, digits, `_`, `.` or `-`. */
export function isTaskName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/**
 * Defines a task contract: its name, the zod schema of its payload, optionally the schema of
 * its result, and options. Handlers are bound apart, on the worker's side.
 *
 * @example Define a task
 * ```ts
 * import { z } from "zod";
 * import { defineTask } from "./contract.ts";
 *
 * const greet = defineTask({
 *   name: "greet",
 *   schema: z.object({ who: z.string().min(1) }),
 *   result: z.string(),
 *   retries: 1,
 * });
 * greet.retries; // 1
 * greet.timeout; // 600000, the default
 * ```
 */
export function defineTask<
  const N extends string,
  S extends PayloadSchema,
  R extends ResultSchema = UnknownResult,
>(spec: TaskSpec<N, S, R>): TaskContract<N, S, R> {
  const { name, schema } = spec;
  if (typeof name !== "string" || !NAME_PATTERN.test(name)) {
    throw new ConfigError(
      `Cannot define task as 'name' must start with a letter and hold only letters, digits, '_', '.' or '-': current value is ${
        JSON.stringify(name)
      }`,
    );
  }
  if (TASK_KEY in schema.shape) {
    throw new ConfigError(
      `Cannot define task '${name}' as its schema has a field named '${TASK_KEY}', which the wire format reserves for the task name: rename the field`,
    );
  }
  const result = (spec.result ?? z.unknown()) as R;
  const key = spec.key;
  if (key !== undefined && typeof key !== "string" && typeof key !== "function") {
    throw new ConfigError(
      `Cannot define task '${name}' as 'key' must be a field's name or a function of the payload`,
    );
  }
  if (typeof key === "string" && !(key in schema.shape)) {
    throw new ConfigError(
      `Cannot define task '${name}' with key '${key}': its schema has no such field (it has ${
        Object.keys(schema.shape).join(", ") || "none"
      })`,
    );
  }
  if (key !== undefined && spec.rateLimit !== undefined) {
    throw new ConfigError(
      `Cannot define task '${name}' with both 'key' and 'rateLimit': give one (a keyed task is paced by its key's concurrency)`,
    );
  }
  const selector: KeySelector | undefined = typeof key === "string"
    ? (payload) => payload[key]
    : (key as KeySelector | undefined);
  return {
    name,
    schema,
    result,
    ...resolveTaskOptions(spec, name),
    version: contractVersion(schema, result),
    key: selector,
    keyField: typeof key === "string" ? key : undefined,
  };
}
