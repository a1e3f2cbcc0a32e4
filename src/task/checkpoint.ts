/**
 * Cooperative yielding for CPU-heavy handlers.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/**
 * Yields to the event loop, so that heartbeats, acks and timers run during a long computation,
 * then throws the signal's reason if it fired. Call it every few milliseconds of work.
 *
 * @example A loop that stays responsive and stops when told to
 * ```ts
 * import { checkpoint } from "./checkpoint.ts";
 *
 * async function busy(rounds: number, signal: AbortSignal): Promise<number> {
 *   let x = 0;
 *   for (let i = 0; i < rounds; i++) {
 *     x = (x * 31 + i) % 1_000_003;
 *     if (i % 100_000 === 0) await checkpoint(signal);
 *   }
 *   return x;
 * }
 * await busy(1_000, new AbortController().signal);
 * ```
 */
export function checkpoint(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      if (signal?.aborted) reject(signal.reason);
      else resolve();
    });
  });
}
