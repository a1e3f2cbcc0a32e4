/**
 * The demo's workers as a group: starting them as the README does, waiting until each consumes,
 * and stopping them with SIGTERM.
 *
 * @module
 */
import { type Broker, permissionFlags } from "./broker.ts";
import { within } from "./interrupt.ts";
import { QUEUE, WORKER_COUNT, WORKER_EXIT_MS, WORKER_START_MS } from "./settings.ts";
import { DemoWorker } from "./worker_process.ts";

/** Starts `WORKER_COUNT` workers on the demo's queue, named `w1`, `w2`, …, with `env`. */
export function startWorkers(broker: Broker, env: Record<string, string>): DemoWorker[] {
  const flags = permissionFlags(broker);
  const args = (id: string) => [
    ...flags,
    "worker.ts",
    "--queue",
    QUEUE,
    "--log-format",
    "json",
    "--id",
    id,
  ];
  console.log(`\nStarting ${WORKER_COUNT} workers: deno run ${args("wN").join(" ")}`);
  return Array.from({ length: WORKER_COUNT }, (_, i) => {
    const label = `w${i + 1}`;
    return new DemoWorker(label, { args: args(label), env });
  });
}

/** Waits until every worker consumes (at most `WORKER_START_MS`), printing each as it does. */
export async function waitUntilStarted(
  workers: readonly DemoWorker[],
  signal: AbortSignal,
): Promise<void> {
  await within(
    Promise.all(workers.map(async (worker) => {
      await worker.started;
      console.log(`  ${worker.label} consumes from '${QUEUE}' (pid ${worker.pid})`);
    })),
    { ms: WORKER_START_MS, what: "waiting for the workers to start", signal },
  );
}

/**
 * Stops the workers with SIGTERM (SIGKILL after `WORKER_EXIT_MS`) and prints their exit codes;
 * true when every one exited 0.
 */
export async function stopWorkers(workers: readonly DemoWorker[]): Promise<boolean> {
  if (workers.length === 0) return true;
  console.log("\nStopping the workers with SIGTERM");
  const results = await Promise.all(workers.map(async (worker) => {
    const timer = setTimeout(() => worker.kill(), WORKER_EXIT_MS);
    const status = await worker.stop();
    clearTimeout(timer);
    console.log(`  ${worker.label} exited with code ${status.code}`);
    return status.code === 0;
  }));
  return results.every(Boolean);
}
