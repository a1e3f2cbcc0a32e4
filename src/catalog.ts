/**
 * The task catalog: {@linkcode defineTask} and {@linkcode defineCatalog}.
 *
 * A task is a name, a zod object schema for its payload and a handler. Every type that a producer
 * or a worker needs (task names, payload input and output, results) is derived from these
 * definitions and never written twice.
 *
 * @module
 */
import type { ZodObject } from "zod";
import { type BackoffOptions, resolveBackoff } from "./backoff.ts";
import { ConfigError } from "./errors.ts";
import type { Logger } from "./logger.ts";

/** The schema of a task's payload: a zod object (refinements allowed, the key `task` reserved). */
export type PayloadSchema = ZodObject;

/** What a schema accepts: the type a producer sends (zod's `z.input`). */
export type SchemaInput<S extends PayloadSchema> = S["_zod"]["input"];

/** What a schema parses into: the type a handler receives (zod's `z.output`). */
export type SchemaOutput<S extends PayloadSchema> = S["_zod"]["output"];

/** What a handler receives besides its payload. */
export interface TaskContext {
  /** Fires when the task's time limit passes or the worker must give the task up. */
  readonly signal: AbortSignal;
  /** Which attempt this is, starting at 1. */
  readonly attempt: number;
  /** The message id of the task (stable across retries). */
  readonly id: string;
  /** The task's name. */
  readonly task: string;
  /** A logger whose lines carry the task's name and id. */
  readonly log: Logger;
}

/** Options that tune how a task is run; each has a default. */
export interface TaskOptions {
  /**
   * How many times a failed attempt is retried before the task is dead-lettered.
   * @default {3}
   */
  retries?: number;
  /**
   * Delays between attempts (exponential, with jitter).
   * @default {{ base: 1000, max: 60000 }}
   */
  backoff?: BackoffOptions;
  /**
   * Time limit of one attempt in milliseconds; the handler's signal fires when it passes. It must
   * stay below the broker's `consumer_timeout` (30 minutes by default).
   * @default {600000}
   */
  timeout?: number;
  /**
   * CPU-heavy: a worker started with threads runs this task's handler in a thread (a Web
   * Worker), so that the main thread keeps heartbeats and acks flowing; at the time limit the
   * thread is terminated. Such a handler must be loadable from its module alone.
   * @default {false}
   */
  cpu?: boolean;
}

/** What {@linkcode defineTask} takes: a name, a payload schema, a handler and options. */
export interface TaskSpec<N extends string, S extends PayloadSchema, R> extends TaskOptions {
  /** The task's name, as it travels in the message body's `task` key. */
  name: N;
  /** The payload's schema. Producers send `SchemaInput<S>`; the handler receives `SchemaOutput<S>`. */
  schema: S;
  /** Does the work. Its return value is the task's result. */
  handler(payload: SchemaOutput<S>, context: TaskContext): R | Promise<R>;
}

/** A task as the catalog holds it: its spec with every option resolved. */
export interface TaskDefinition<
  N extends string = string,
  S extends PayloadSchema = PayloadSchema,
  R = unknown,
> {
  /** The task's name. */
  readonly name: N;
  /** The payload's schema. */
  readonly schema: S;
  /** Does the work. */
  handler(payload: SchemaOutput<S>, context: TaskContext): R | Promise<R>;
  /** How many times a failed attempt is retried. */
  readonly retries: number;
  /** Delays between attempts. */
  readonly backoff: Readonly<Required<BackoffOptions>>;
  /** Time limit of one attempt in milliseconds. */
  readonly timeout: number;
  /** Whether the handler runs in a thread when the worker has threads. */
  readonly cpu: boolean;
}

/** Any task definition, whatever its name, schema and result. */
export type AnyTask = TaskDefinition<string, PayloadSchema, unknown>;

/** The payload key that names the task on the wire. */
export const TASK_KEY = "task";

/** The default time limit of one attempt: ten minutes. */
export const DEFAULT_TIMEOUT_MS = 600_000;

/** The default number of retries after a failed attempt. */
export const DEFAULT_RETRIES = 3;

const NAME_PATTERN = /^[a-z][a-z0-9_.-]*$/i;

/**
 * Defines a task: its name, the zod schema of its payload, its handler and options.
 *
 * @example Define a task
 * ```ts
 * import { z } from "zod";
 * import { defineTask } from "./catalog.ts";
 *
 * const greet = defineTask({
 *   name: "greet",
 *   schema: z.object({ who: z.string().min(1) }),
 *   handler: ({ who }) => `hello, ${who}`,
 *   retries: 1,
 * });
 * greet.retries; // 1
 * greet.timeout; // 600000, the default
 * ```
 */
export function defineTask<const N extends string, S extends PayloadSchema, R>(
  spec: TaskSpec<N, S, R>,
): TaskDefinition<N, S, R> {
  const { name, schema, handler } = spec;
  if (!NAME_PATTERN.test(name)) {
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
  const retries = spec.retries ?? DEFAULT_RETRIES;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new ConfigError(
      `Cannot define task '${name}' as 'retries' must be a non-negative integer: current value is ${retries}`,
    );
  }
  const timeout = spec.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new ConfigError(
      `Cannot define task '${name}' as 'timeout' must be a positive number of milliseconds: current value is ${timeout}`,
    );
  }
  return {
    name,
    schema,
    handler,
    retries,
    timeout,
    backoff: resolveBackoff(spec.backoff, `task '${name}'`),
    cpu: spec.cpu ?? false,
  };
}

/** A set of tasks by name, from {@linkcode defineCatalog}. */
export interface Catalog<T extends Record<string, AnyTask> = Record<string, AnyTask>> {
  /** The tasks by name. */
  readonly tasks: T;
  /** The task names, in the order given to {@linkcode defineCatalog}. */
  readonly names: readonly string[];
  /** The task with this name, or `undefined`. */
  get(name: string): AnyTask | undefined;
}

/** The catalog type of a list of task definitions. */
export type CatalogOf<L extends readonly AnyTask[]> = Catalog<{ [D in L[number] as D["name"]]: D }>;

/** The task names of a catalog. */
export type TaskName<C extends Catalog> = keyof C["tasks"] & string;

/** The task definition of name `N` in catalog `C`. */
export type TaskOf<C extends Catalog, N extends TaskName<C>> = C["tasks"][N];

/** What a producer sends for task `N`: the schema's input type. */
export type TaskInput<C extends Catalog, N extends TaskName<C>> = SchemaInput<
  TaskOf<C, N>["schema"]
>;

/** What the handler of task `N` receives: the schema's output type. */
export type TaskPayload<C extends Catalog, N extends TaskName<C>> = SchemaOutput<
  TaskOf<C, N>["schema"]
>;

/** What the handler of task `N` returns, once awaited. */
export type TaskResult<C extends Catalog, N extends TaskName<C>> = Awaited<
  ReturnType<TaskOf<C, N>["handler"]>
>;

/**
 * Gathers task definitions into a catalog. Producers and workers take the catalog, so that task
 * names and payloads are checked at compile time.
 *
 * @example A catalog of two tasks
 * ```ts
 * import { z } from "zod";
 * import { defineCatalog, defineTask } from "./catalog.ts";
 *
 * const add = defineTask({
 *   name: "add",
 *   schema: z.object({ a: z.number(), b: z.number() }),
 *   handler: ({ a, b }) => a + b,
 * });
 * const shout = defineTask({
 *   name: "shout",
 *   schema: z.object({ text: z.string() }),
 *   handler: ({ text }) => text.toUpperCase(),
 * });
 * const catalog = defineCatalog(add, shout);
 * catalog.names; // ["add", "shout"]
 * ```
 */
export function defineCatalog<const L extends readonly AnyTask[]>(...tasks: L): CatalogOf<L> {
  const byName = new Map<string, AnyTask>();
  for (const task of tasks) {
    if (byName.has(task.name)) {
      throw new ConfigError(
        `Cannot define catalog as the task name '${task.name}' is used twice: give each task its own name`,
      );
    }
    byName.set(task.name, task);
  }
  return {
    tasks: Object.fromEntries(byName) as CatalogOf<L>["tasks"],
    names: tasks.map((task) => task.name),
    get: (name) => byName.get(name),
  };
}
