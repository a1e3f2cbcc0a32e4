/**
 * The contracts of the flow-control example: a call to an API that allows 20 calls a second
 * in total, and an account's operations, which must run one at a time and in order.
 *
 * @module
 */
import { z } from "zod";
import { defineCatalog, defineTask } from "warren";

/** `call`: one call to a rate-limited API; at most 20 a second across every worker. */
export const call = defineTask({
  name: "call",
  schema: z.object({ n: z.int().min(0) }),
  result: z.int(),
  rateLimit: { perSecond: 20, burst: 20 },
});

/**
 * `account`: an operation on an account, which takes `ms` milliseconds; the operations of one
 * account run one at a time, in the order they were enqueued, across every worker.
 */
export const account = defineTask({
  name: "account",
  schema: z.object({
    account: z.string().min(1).max(100),
    seq: z.int().min(0),
    ms: z.int().min(0).max(60_000).default(0),
  }),
  key: "account",
  keyConcurrency: 1,
});

/** The example's tasks. */
export const catalog = defineCatalog(call, account);
