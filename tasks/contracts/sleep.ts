/**
 * The contract of `sleep`: waits `ms` milliseconds (a stand-in for I/O-bound work); its result
 * is the time it waited.
 *
 * @module
 */
import { z } from "zod";
import { defineTask } from "../../src/task/contract.ts";

/** The payload of `sleep`. */
export const sleepSchema = z.object({
  ms: z.int().min(0).max(3_600_000).describe("how long to wait, in milliseconds"),
});

/** The `sleep` task. */
export const sleep = defineTask({
  name: "sleep",
  schema: sleepSchema,
  result: z.object({ slept: z.int().min(0) }),
});
