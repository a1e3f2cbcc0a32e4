/**
 * `sum`: the exact sum of the integers from `start` to `end`, both included.
 *
 * The result is a bigint, computed in closed form, so it is exact beyond 2^53 and takes no time
 * however long the range: 1..10^9 gives 500000000500000000.
 *
 * @module
 */
import { z } from "zod";
import { defineTask } from "../src/catalog.ts";

/** The payload of `sum`. */
export const sumSchema = z
  .object({
    start: z.int().describe("first integer of the range"),
    end: z.int().describe("last integer of the range (>= start)"),
  })
  .refine((p) => p.end >= p.start, {
    path: ["end"],
    message: "end must be greater than or equal to start",
  });

/** Sum of the integers `start..end` (inclusive), exactly. */
export function sumRange(start: number, end: number): bigint {
  const a = BigInt(start);
  const b = BigInt(end);
  return ((a + b) * (b - a + 1n)) / 2n;
}

/** The `sum` task. */
export const sum = defineTask({
  name: "sum",
  schema: sumSchema,
  handler: ({ start, end }) => sumRange(start, end),
});
