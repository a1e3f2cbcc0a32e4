/**
 * Warren's demo catalog: the contracts of its tasks, one file each, gathered here. Producers
 * import `catalog` and nothing else (no handler code); workers bind the handlers of
 * `handlers/mod.ts` to it.
 *
 * @module
 */
import { defineCatalog } from "../src/task/catalog.ts";
import { primes } from "./contracts/primes.ts";
import { sha256 } from "./contracts/sha256.ts";
import { sleep } from "./contracts/sleep.ts";
import { sum } from "./contracts/sum.ts";

export { primes, sha256, sleep, sum };

/** The catalog of the shipped tasks: `sum`, `primes`, `sha256` and `sleep`. */
export const catalog = defineCatalog(sum, primes, sha256, sleep);

/** The type of {@linkcode catalog}. */
export type WarrenCatalog = typeof catalog;
