/**
 * The handler of `sleep`: waits, reporting its progress each second, and stops early when its
 * abort signal fires.
 *
 * @module
 */

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

/**
 * Waits `ms` milliseconds a second at a time, telling `progress` how far it is after each
 * second; rejects with the signal's reason when it fires.
 */
export async function sleepInSteps(
  ms: number,
  signal: AbortSignal,
  progress: (fraction: number, note?: string) => void,
): Promise<void> {
  let slept = 0;
  while (slept < ms) {
    const step = Math.min(1_000, ms - slept);
    await delay(step, signal);
    slept += step;
    if (slept < ms) progress(slept / ms, `slept ${slept} of ${ms} ms`);
  }
}
