/**
 * The benchmark's Warren catalog: one task, `sum`, whose payload also carries `sentAt`. Its
 * handler records the latency when it starts and returns the exact sum, as `tasks/sum.ts` does.
 *
 * @module
 */
import { z } from "zod";
import { defineCatalog, defineTask } from "../src/catalog.ts";
import { sumRange } from "../tasks/sum.ts";

/** What the handler reports to; the producer side passes none. */
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

const makeCatalog = (probe?: SumProbe) =>
  defineCatalog(defineTask({
    name: "sum",
    schema: benchSumSchema,
    handler: ({ start, end, sentAt }) => {
      probe?.started(sentAt);
      const result = sumRange(start, end);
      probe?.handled(result);
      return result;
    },
  }));

/** The type of the benchmark catalog. */
export type BenchCatalog = ReturnType<typeof makeCatalog>;

/** The benchmark catalog; the handler reports to `probe` when given. */
export function createBenchCatalog(probe?: SumProbe): BenchCatalog {
  return makeCatalog(probe);
}
