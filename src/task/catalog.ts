/**
 * The catalog: {@linkcode defineCatalog} gathers task contracts by name. Producers and workers
 * take the catalog, and every type they need (task names, payload input and output, results)
 * is derived from its contracts and never written twice.
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";
import type { AnyContract, SchemaInput, SchemaOutput } from "./contract.ts";

/** A set of task contracts by name, from {@linkcode defineCatalog}. */
export interface Catalog<T extends Record<string, AnyContract> = Record<string, AnyContract>> {
  /** The contracts by name. */
  readonly tasks: T;
  /** The task names, in the order given to {@linkcode defineCatalog}. */
  readonly names: readonly string[];
  /** The contract with this name, or `undefined`. */
  get(name: string): AnyContract | undefined;
}

/** The catalog type of a list of contracts. */
export type CatalogOf<L extends readonly AnyContract[]> = Catalog<
  { [D in L[number] as D["name"]]: D }
>;

/** The task names of a catalog. */
export type TaskName<C extends Catalog> = keyof C["tasks"] & string;

/** The contract of task `N` in catalog `C`. */
export type TaskOf<C extends Catalog, N extends TaskName<C>> = C["tasks"][N];

/** What a producer sends for task `N`: the payload schema's input type. */
export type TaskInput<C extends Catalog, N extends TaskName<C>> = SchemaInput<
  TaskOf<C, N>["schema"]
>;

/** What the handler of task `N` receives: the payload schema's output type. */
export type TaskPayload<C extends Catalog, N extends TaskName<C>> = SchemaOutput<
  TaskOf<C, N>["schema"]
>;

/** What the handler of task `N` returns and what awaiting its result yields. */
export type TaskResult<C extends Catalog, N extends TaskName<C>> = SchemaOutput<
  TaskOf<C, N>["result"]
>;

/**
 * Gathers task contracts into a catalog. Producers and workers take the catalog, so that task
 * names, payloads and results are checked at compile time.
 *
 * @example A catalog of two tasks
 * ```ts
 * import { z } from "zod";
 * import { defineCatalog } from "./catalog.ts";
 * import { defineTask } from "./contract.ts";
 *
 * const add = defineTask({
 *   name: "add",
 *   schema: z.object({ a: z.number(), b: z.number() }),
 *   result: z.number(),
 * });
 * const shout = defineTask({ name: "shout", schema: z.object({ text: z.string() }) });
 * const catalog = defineCatalog(add, shout);
 * catalog.names; // ["add", "shout"]
 * ```
 */
export function defineCatalog<const L extends readonly AnyContract[]>(
  ...contracts: L
): CatalogOf<L> {
  const byName = new Map<string, AnyContract>();
  for (const contract of contracts) {
    if (byName.has(contract.name)) {
      throw new ConfigError(
        `Cannot define catalog as the task name '${contract.name}' is used twice: give each task its own name`,
      );
    }
    byName.set(contract.name, contract);
  }
  return {
    tasks: Object.fromEntries(byName) as CatalogOf<L>["tasks"],
    names: contracts.map((contract) => contract.name),
    get: (name) => byName.get(name),
  };
}
