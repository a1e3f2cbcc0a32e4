/**
 * The pipeline example's contracts and its workflow: `split` cuts `1..n*1000` into `n` ranges,
 * `sum` adds one range up, `total` adds the sums. Producers and workers both import this file;
 * it holds no handler code.
 *
 * @module
 */
import { z } from "zod";
import { defineCatalog, defineTask, defineWorkflow } from "warren";

/** How many consecutive integers each range holds. */
export const RANGE_SIZE = 1_000;

/** The most ranges a run splits into. */
export const MAX_MEMBERS = 100_000;

/** A range of consecutive integers, `from` to `to` inclusive. */
const range = z.object({
  from: z.int().min(1),
  to: z.int().min(1),
  /** Makes its `sum` fail without retries (to try a member's failure). */
  fail: z.boolean().optional(),
});

/** `split` (`{ n }`): `n` ranges of 1,000 consecutive integers, from 1 to `n * 1000`. */
export const split = defineTask({
  name: "split",
  schema: z.object({
    n: z.int().min(1).max(MAX_MEMBERS),
    /** The range (0-based) whose `sum` fails, if any. */
    failMember: z.int().min(0).optional(),
  }),
  result: z.array(range),
});

/** `sum` (one range): the sum of its integers. */
export const sum = defineTask({ name: "sum", schema: range, result: z.int(), retries: 2 });

/** `total` (`{ sums }`): the sum of the sums. */
export const total = defineTask({
  name: "total",
  schema: z.object({ sums: z.array(z.int()).max(MAX_MEMBERS) }),
  result: z.int(),
});

/** The example's tasks. */
export const catalog = defineCatalog(split, sum, total);

/** `split`, then `sum` once per range, then `total` of the sums (in range order). */
export const pipeline = defineWorkflow(catalog, "pipeline")
  .start("split")
  .each("sum")
  .join("total", (sums) => ({ sums }));

/** The example's workflows, as its workers are given them. */
export const workflows = [pipeline];
