/**
 * The example's handlers: `call` stands for the API call, `account` logs when an operation
 * starts and ends (`account.start`, `account.end`: what the order and overlap checks read).
 *
 * @module
 */
import { defineHandlers } from "warren";
import { catalog } from "./tasks.ts";

/** Resolves after `ms` milliseconds, or rejects when `signal` fires. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** One handler per task. */
export const handlers = defineHandlers(catalog, {
  call: ({ n }) => n,
  account: async ({ account, seq, ms }, context) => {
    context.log.info("account.start", { account, seq, attempt: context.attempt });
    await sleep(ms, context.signal);
    context.log.info("account.end", { account, seq });
  },
});
