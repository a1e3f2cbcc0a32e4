/**
 * Interruption (Ctrl-C or SIGTERM) and deadlines: waits that end when the demo's interrupt signal
 * fires, or when their time is up.
 *
 * @module
 */
import { withTimeout } from "../../src/util/deadline.ts";
import { DemoError } from "./errors.ts";

/** The reason the demo's interrupt signal fires with: Ctrl-C or SIGTERM. */
export class Interrupted extends Error {
  /** Creates the interruption error. */
  constructor() {
    super("interrupted by a stop signal");
    this.name = "Interrupted";
  }
}

/** Resolves as `promise` does, unless `signal` fires first: then rejects with its reason. */
export function until<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Options of {@linkcode within}. */
export interface WithinOptions {
  /** How long to wait, in milliseconds. */
  readonly ms: number;
  /** What is awaited, for the error after `ms`: `waiting for the producer`. */
  readonly what: string;
  /** The demo's interrupt signal. */
  readonly signal: AbortSignal;
}

/**
 * Resolves as `promise` does, unless the demo is interrupted first (rejects with the signal's
 * reason) or `ms` pass first (rejects with a {@linkcode DemoError} saying what was awaited).
 */
export function within<T>(promise: Promise<T>, options: WithinOptions): Promise<T> {
  const { ms, what, signal } = options;
  return withTimeout(
    until(promise, signal),
    ms,
    () => new DemoError(`${what}: nothing after ${ms / 1000} s`),
  );
}
