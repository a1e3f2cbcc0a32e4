/**
 * The mailer's worker: Warren's worker CLI with the mailer's catalog, so it has every option of
 * Warren's own worker (`--prefetch`, `--log-format json`, `--grace`, `--metrics-port`, …; see
 * `--help`) and stops cleanly on SIGINT or SIGTERM. Mails wait on the network, not on the CPU:
 * run it with `--prefetch 10` to send ten at a time.
 *
 * @module
 */
import { workerMain } from "warren";
import { catalog } from "./tasks.ts";

if (import.meta.main) Deno.exit(await workerMain(catalog, Deno.args));
