/**
 * Warren's command-line programs as functions, to build your own CLIs around your own catalog:
 * {@linkcode producerMain}, {@linkcode workerMain} and {@linkcode adminMain} take the catalog
 * (or its handlers) and the arguments, and return the exit code. Nothing here loads Warren's
 * demo catalog.
 *
 * This module loads all four CLIs (the admin's dashboard, the producer's progress bar…), for a
 * program that runs them all. A program that runs one imports it alone, and loads only what it
 * runs: `warren/cli/worker` (`src/cli/worker/main.ts`), `warren/cli/producer`,
 * `warren/cli/admin` and `warren/cli/scheduler`.
 *
 * @example A worker CLI for your own tasks
 * ```ts ignore
 * import { workerMain } from "./worker/main.ts"; // warren/cli/worker
 * import { handlers } from "./my_handlers.ts";
 *
 * if (import.meta.main) {
 *   Deno.exit(await workerMain(handlers, Deno.args, {
 *     handlersModule: new URL("./my_handlers.ts", import.meta.url),
 *   }));
 * }
 * ```
 *
 * @module
 */
export { producerMain } from "./producer/main.ts";
export { workerMain, type WorkerMainOptions } from "./worker/main.ts";
export { adminMain } from "./admin/main.ts";
export { schedulerMain } from "./scheduler/main.ts";
