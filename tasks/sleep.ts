/**
 * `sleep`: waits `ms` milliseconds, and stops early when its abort signal fires (a stand-in for
 * I/O-bound work).
 *
 * @module
 */
import { z } from "zod";
import { defineTask } from "../src/catalog.ts";

/** The payload of `sleep`. */
export const sleepSchema = z.object({
  ms: z.int().min(0).max(3_600_000).describe("how long to wait, in milliseconds"),
});

/** Resolves after `ms` milliseconds, or rejects with the signal's reason when it fires first. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    function abort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}

/** The `sleep` task; its result is the time it waited. */
export const sleep = defineTask({
  name: "sleep",
  schema: sleepSchema,
  handler: async ({ ms }, { signal }) => {
    await delay(ms, signal);
    return { slept: ms };
  },
});
