/**
 * The signals that ask a process to stop: SIGINT (Ctrl-C) and SIGTERM (SIGINT only on Windows,
 * where Deno cannot listen for SIGTERM).
 *
 * @module
 */

/** The stop signals this system lets Deno listen for. */
export function stopSignals(): Deno.Signal[] {
  return Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
}

/** Calls `handler` on each stop signal; returns a function that stops listening (idempotent). */
export function onStopSignals(handler: () => void): () => void {
  const signals = stopSignals();
  for (const signal of signals) Deno.addSignalListener(signal, handler);
  let listening = true;
  return () => {
    if (!listening) return;
    listening = false;
    for (const signal of signals) Deno.removeSignalListener(signal, handler);
  };
}
