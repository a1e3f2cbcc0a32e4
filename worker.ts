/**
 * The worker: the {@linkcode Worker} class for programs, and a CLI that runs the tasks of
 * Warren's catalog.
 *
 * ```sh
 * deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE worker.ts --prefetch 1
 * ```
 *
 * @module
 */
import { workerMain } from "./src/cli/worker_main.ts";
import { catalog } from "./tasks/mod.ts";

export { Worker, type WorkerOptions } from "./src/worker.ts";
export { workerMain };

if (import.meta.main) {
  const catalogModule = new URL("./tasks/mod.ts", import.meta.url);
  Deno.exit(await workerMain(catalog, Deno.args, { catalogModule }));
}
