/**
 * The example's worker: Warren's worker CLI over the example's handlers (every flag of Warren's
 * worker: `--prefetch`, `--log-format json`, `--grace`, …; see `--help`). It takes `call` tasks
 * only with a token of their rate limit, and `account` tasks from the key partitions.
 *
 * @module
 */
import { workerMain } from "warren/cli/worker";
import { handlers } from "./handlers.ts";

if (import.meta.main) {
  const handlersModule = new URL("./handlers.ts", import.meta.url);
  Deno.exit(await workerMain(handlers, Deno.args, { handlersModule }));
}
