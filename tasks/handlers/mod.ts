/**
 * The handlers of Warren's demo catalog, bound to its contracts: what `worker.ts` runs (and,
 * for `--threads`, what each thread loads from this module's `handlers` export).
 *
 * @module
 */
import { defineHandlers, type HandlerMap } from "../../src/task/handlers.ts";
import { catalog, type WarrenCatalog } from "../mod.ts";
import { countPrimes } from "./primes.ts";
import { iteratedSha256 } from "./sha256.ts";
import { sleepInSteps } from "./sleep.ts";
import { sumRange } from "./sum.ts";

/** The handler of each task, by name (to bind into another catalog with the same contracts). */
export const taskHandlers: HandlerMap<WarrenCatalog> = {
  sum: ({ start, end }) => sumRange(start, end),
  primes: ({ limit }, { signal }) => countPrimes(limit, signal),
  sha256: ({ text, rounds }, { signal }) => iteratedSha256(text, rounds, signal),
  sleep: async ({ ms }, { signal, progress }) => {
    await sleepInSteps(ms, signal, progress);
    return { slept: ms };
  },
};

/** The handlers of every task of the demo catalog. */
export const handlers = defineHandlers(catalog, taskHandlers);
