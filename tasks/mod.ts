/**
 * Warren's shared task catalog: one file per task, gathered here. Producers and workers import
 * `catalog` so that both sides agree on task names and payloads.
 *
 * @module
 */
import { defineCatalog } from "../src/catalog.ts";
import { primes } from "./primes.ts";
import { sha256 } from "./sha256.ts";
import { sleep } from "./sleep.ts";
import { sum } from "./sum.ts";

export { primes, sha256, sleep, sum };

/** The catalog of the shipped tasks: `sum`, `primes`, `sha256` and `sleep`. */
export const catalog = defineCatalog(sum, primes, sha256, sleep);

/** The type of {@linkcode catalog}. */
export type WarrenCatalog = typeof catalog;
