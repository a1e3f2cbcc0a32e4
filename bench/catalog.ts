/**
 * The benchmark's Warren catalog: one task, `sum`, whose payload also carries `sentAt`, and its
 * handler, which records the latency when it starts and returns the exact sum, as the demo
 * catalog's `sum` does.
 *
 * @module
 */
import { z } from "zod";
import { defineCatalog } from "../src/task/catalog.ts";
import { bigintResult } from "../src/task/codecs.ts";
import { defineTask } from "../src/task/contract.ts";
import { defineHandlers, type Handlers } from "../src/task/handlers.ts";
import { sumRange } from "../tasks/handlers/sum.ts";

/** What the handler reports to. */
export interface SumProbe {
  /** The handler starts on a task sent at `sentAt`. */
  started(sentAt: number): void;
  /** The handler computed `result`. */
  handled(result: bigint): void;
}

/** The payload of the benchmark's `sum`: the range, and when the task was sent. */
export const benchSumSchema = z
  .object({
    start: z.int(),
    end: z.int(),
    sentAt: z.number(),
  })
  .refine((p) => p.end >= p.start, {
    path: ["end"],
    message: "end must be greater than or equal to start",
  });

/** The benchmark catalog: the contract of its `sum`. */
export const benchCatalog = defineCatalog(
  defineTask({ name: "sum", schema: benchSumSchema, result: bigintResult() }),
);

/** The type of the benchmark catalog. */
export type BenchCatalog = typeof benchCatalog;

/** The benchmark's handlers, reporting to `probe`. */
export function createBenchHandlers(probe: SumProbe): Handlers<BenchCatalog> {
  return defineHandlers(benchCatalog, {
    sum: ({ start, end, sentAt }) => {
      probe.started(sentAt);
      const result = sumRange(start, end);
      probe.handled(result);
      return result;
    },
  });
}
