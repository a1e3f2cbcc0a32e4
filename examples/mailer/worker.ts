/**
 * The mailer's worker: Warren's worker CLI with the mailer's handlers, so it has every option
 * of Warren's own worker (`--prefetch`, `--log-format json`, `--grace`, `--metrics-port`, …; see
 * `--help`) and stops cleanly on SIGINT or SIGTERM. Mails wait on the network, not on the CPU:
 * run it with `--prefetch 10` to send ten at a time.
 *
 * @module
 */
import { workerMain } from "warren/cli/worker";
import { handlers } from "./handlers.ts";

if (import.meta.main) {
  const handlersModule = new URL("./handlers.ts", import.meta.url);
  Deno.exit(await workerMain(handlers, Deno.args, { handlersModule }));
}
