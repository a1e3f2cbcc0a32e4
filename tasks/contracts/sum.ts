/**
 * The contract of `sum`: the exact sum of the integers from `start` to `end`, both included.
 * The result is a bigint (exact beyond 2^53), carried as a decimal string on the wire.
 *
 * @module
 */
import { z } from "zod";
import { bigintResult } from "../../src/task/codecs.ts";
import { defineTask } from "../../src/task/contract.ts";

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

/** The `sum` task. */
export const sum = defineTask({ name: "sum", schema: sumSchema, result: bigintResult() });
