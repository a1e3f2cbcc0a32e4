/**
 * The pipeline's handlers, bound to its contracts: only the worker imports this file.
 *
 * @module
 */
import { defineHandlers, NonRetryableError } from "warren";
import { catalog, RANGE_SIZE } from "./tasks.ts";

/** One handler per task. */
export const handlers = defineHandlers(catalog, {
  split: ({ n, failMember }) =>
    Array.from({ length: n }, (_, i) => ({
      from: i * RANGE_SIZE + 1,
      to: (i + 1) * RANGE_SIZE,
      ...(i === failMember ? { fail: true } : {}),
    })),
  sum: ({ from, to, fail }) => {
    if (fail) throw new NonRetryableError(`range ${from}..${to} was told to fail`);
    let total = 0;
    for (let x = from; x <= to; x++) total += x;
    return total;
  },
  total: ({ sums }) => sums.reduce((a, b) => a + b, 0),
});
