/**
 * The contract of `primes`: how many primes there are up to `limit` (CPU-heavy, so it runs in a
 * thread when the worker has threads).
 *
 * @module
 */
import { z } from "zod";
import { defineTask } from "../../src/task/contract.ts";

/** The largest `limit` accepted. */
export const MAX_PRIME_LIMIT = 100_000_000;

/** The payload of `primes`. */
export const primesSchema = z.object({
  limit: z.int().min(0).max(MAX_PRIME_LIMIT).describe(
    `count primes <= limit (up to ${MAX_PRIME_LIMIT})`,
  ),
});

/** The `primes` task. */
export const primes = defineTask({
  name: "primes",
  schema: primesSchema,
  result: z.int().min(0),
  cpu: true,
});
