/**
 * Warren's command-line programs as functions, to build your own CLIs around your own catalog:
 * {@linkcode producerMain}, {@linkcode workerMain} and {@linkcode adminMain} take the catalog
 * (or its handlers) and the arguments, and return the exit code. Nothing here loads Warren's
 * demo catalog.
 *
 * @example A worker CLI for your own tasks
 * ```ts ignore
 * import { workerMain } from "./mod.ts";
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
