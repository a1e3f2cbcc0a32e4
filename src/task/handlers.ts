/**
 * Handlers, bound to a catalog's contracts on the worker's side: {@linkcode defineHandlers}
 * checks at compile time that every task of the catalog has exactly one handler, that it
 * receives its payload schema's output, and that it returns its result schema's output.
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";
import type { Catalog, TaskName, TaskOf } from "./catalog.ts";
import type { AnyContract, SchemaOutput } from "./contract.ts";
import type { TaskContext } from "./context.ts";

/** The handler of contract `T`: does the work, returns the task's result. */
export type TaskHandler<T extends AnyContract> = (
  payload: SchemaOutput<T["schema"]>,
  context: TaskContext,
) => SchemaOutput<T["result"]> | Promise<SchemaOutput<T["result"]>>;

/** One handler for each task of catalog `C`, by name. */
export type HandlerMap<C extends Catalog> = {
  readonly [N in TaskName<C>]: TaskHandler<TaskOf<C, N>>;
};

/** A contract with its handler, as a worker runs it. */
export interface BoundTask {
  /** The task's contract. */
  readonly contract: AnyContract;
  /** Its handler. */
  readonly handler: (payload: Record<string, unknown>, context: TaskContext) => unknown;
}

/** The handlers of a catalog, from {@linkcode defineHandlers}: what a worker runs. */
export interface Handlers<C extends Catalog = Catalog> {
  /** The catalog the handlers serve. */
  readonly catalog: C;
  /** The contract and handler of task `name`, or `undefined` when the catalog has none. */
  get(name: string): BoundTask | undefined;
}

/**
 * Binds a handler to each task of `catalog`. A task without a handler, a handler for a task the
 * catalog lacks, a payload of the wrong type or a result of the wrong type fails to compile
 * (and, for JavaScript callers, throws a `ConfigError`).
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineCatalog } from "./catalog.ts";
 * import { defineTask } from "./contract.ts";
 * import { defineHandlers } from "./handlers.ts";
 *
 * const add = defineTask({
 *   name: "add",
 *   schema: z.object({ a: z.number(), b: z.number() }),
 *   result: z.number(),
 * });
 * const catalog = defineCatalog(add);
 * const handlers = defineHandlers(catalog, { add: ({ a, b }) => a + b });
 * handlers.get("add")?.contract.name; // "add"
 * ```
 */
export function defineHandlers<C extends Catalog>(
  catalog: C,
  handlers: HandlerMap<C>,
): Handlers<C> {
  const given = handlers as Readonly<Record<string, unknown>>;
  const bound = new Map<string, BoundTask>();
  for (const name of catalog.names) {
    const handler = given[name];
    if (typeof handler !== "function") {
      throw new ConfigError(
        `Cannot define handlers as task '${name}' of the catalog has no handler: give one`,
      );
    }
    bound.set(name, {
      contract: catalog.get(name)!,
      handler: handler as BoundTask["handler"],
    });
  }
  const extra = Object.keys(given).filter((name) => !bound.has(name));
  if (extra.length > 0) {
    throw new ConfigError(
      `Cannot define handlers as the catalog has no task named ${
        extra.map((n) => `'${n}'`).join(", ")
      }: remove the handler or add the task's contract to the catalog`,
    );
  }
  return { catalog, get: (name) => bound.get(name) };
}
