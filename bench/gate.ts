/**
 * The start gate of a benchmark consumer: started with `--gated` as its first argument, a
 * consumer loads its modules, says it is ready, and waits for `SIGUSR2` before it connects. The
 * orchestrator starts every consumer of a run so, and signals them together once all are ready:
 * on a full queue, none drains it alone while another is still loading.
 *
 * @module
 */
import { formatLine } from "./protocol.ts";

/** The argument that asks for the gate. */
export const GATED = "--gated";

/**
 * `args` without {@linkcode GATED}; when it was there, resolves only once `SIGUSR2` came (the
 * ready line is written once the signal is listened for, so it cannot kill the process).
 */
export async function passGate(args: readonly string[]): Promise<string[]> {
  if (args[0] !== GATED) return [...args];
  const { promise, resolve } = Promise.withResolvers<void>();
  Deno.addSignalListener("SIGUSR2", resolve);
  const line = new TextEncoder().encode(formatLine({ type: "ready" }));
  for (let done = 0; done < line.length;) done += Deno.stderr.writeSync(line.subarray(done));
  await promise;
  Deno.removeSignalListener("SIGUSR2", resolve);
  return args.slice(1);
}
