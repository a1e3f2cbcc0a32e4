#!/usr/bin/env -S deno run --v8-flags=--max-semi-space-size=1 --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE --allow-read=.
/**
 * The worker CLI over Warren's demo catalog (`tasks/`): runs its tasks until SIGINT or SIGTERM.
 * To run your own handlers, call `workerMain` from `./cli`.
 *
 * ```sh
 * deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE worker.ts --prefetch 1
 * ```
 *
 * @module
 */
import { workerMain } from "./src/cli/worker/main.ts";
import { handlers } from "./tasks/handlers/mod.ts";

if (import.meta.main) {
  const handlersModule = new URL("./tasks/handlers/mod.ts", import.meta.url);
  Deno.exit(await workerMain(handlers, Deno.args, { handlersModule }));
}
