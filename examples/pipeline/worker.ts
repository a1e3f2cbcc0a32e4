/**
 * The pipeline's worker: Warren's worker CLI over the pipeline's handlers and its workflow
 * (every flag of Warren's worker: `--prefetch`, `--log-format json`, `--grace`, …; see
 * `--help`). Start as many as you like: they share the steps, and one of them joins.
 *
 * @module
 */
import { workerMain } from "warren/cli/worker";
import { handlers } from "./handlers.ts";
import { workflows } from "./tasks.ts";

if (import.meta.main) {
  const handlersModule = new URL("./handlers.ts", import.meta.url);
  Deno.exit(await workerMain(handlers, Deno.args, { handlersModule, workflows }));
}
