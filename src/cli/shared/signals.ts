/**
 * Listening for the signals that ask a CLI to stop: SIGINT and SIGTERM (SIGINT only on Windows).
 *
 * @module
 */

/** Calls `handler` on each SIGINT or SIGTERM; returns a function that stops listening. */
export function onStopSignals(handler: () => void): () => void {
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, handler);
  return () => {
    for (const signal of signals) Deno.removeSignalListener(signal, handler);
  };
}
