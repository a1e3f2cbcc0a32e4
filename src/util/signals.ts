/**
 * The signals that ask a process to stop: SIGINT (Ctrl-C) and SIGTERM (SIGINT only on Windows,
 * where Deno cannot listen for SIGTERM).
 *
 * One SIGTERM may arrive twice. A supervisor that signals the whole process group (`timeout`,
 * systemd's default `KillMode=control-group`) reaches the process directly and through
 * `deno task`, which passes SIGTERM on to its child, a few milliseconds apart. So a SIGTERM
 * within {@linkcode ECHO_MS} of the one before is taken for that one, not for a second request:
 * a worker's second signal exits at once, and this echo must not. SIGINT has no echo (Ctrl-C
 * reaches every process of the terminal's group, and `deno task` does not pass it on), so a quick
 * second Ctrl-C always counts.
 *
 * @module
 */

/**
 * How long after a SIGTERM another counts as its echo, in milliseconds: well above the few
 * milliseconds between the two copies.
 */
export const ECHO_MS = 500;

/** The stop signals this system lets Deno listen for. */
export function stopSignals(): Deno.Signal[] {
  return Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
}

/** The last stop signal taken: which, and when (milliseconds, a monotonic clock). */
export interface LastSignal {
  /** The signal. */
  readonly signal: Deno.Signal;
  /** When it came. */
  readonly at: number;
}

/**
 * Whether `signal`, at `at`, is the echo of `last`: a SIGTERM within {@linkcode ECHO_MS} of
 * another.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isEcho } from "./signals.ts";
 *
 * const last = { signal: "SIGTERM", at: 1_000 } as const;
 * assertEquals(isEcho(last, "SIGTERM", 1_003), true); // the same stop, passed on by deno task
 * assertEquals(isEcho(last, "SIGTERM", 2_000), false); // asked again
 * assertEquals(isEcho(last, "SIGINT", 1_003), false); // another signal
 * assertEquals(isEcho({ signal: "SIGINT", at: 1_000 }, "SIGINT", 1_200), false); // Ctrl-C twice
 * ```
 */
export function isEcho(last: LastSignal | undefined, signal: Deno.Signal, at: number): boolean {
  return signal === "SIGTERM" && last?.signal === signal && at - last.at < ECHO_MS;
}

/**
 * Calls `handler` on each stop signal, a SIGTERM's echo aside (see the module documentation);
 * returns a function that stops listening (idempotent).
 */
export function onStopSignals(handler: () => void): () => void {
  let last: LastSignal | undefined;
  const listeners = stopSignals().map((signal) => {
    const listener = () => {
      const at = performance.now();
      if (isEcho(last, signal, at)) return;
      last = { signal, at };
      handler();
    };
    Deno.addSignalListener(signal, listener);
    return { signal, listener };
  });
  let listening = true;
  return () => {
    if (!listening) return;
    listening = false;
    for (const { signal, listener } of listeners) Deno.removeSignalListener(signal, listener);
  };
}
