#!/usr/bin/env -S deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE
/**
 * The admin CLI over Warren's demo catalog: shows a work queue's state and handles its dead
 * letters. To run it with your own catalog, call `adminMain` from `./cli`.
 *
 * ```sh
 * deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE admin.ts status
 * deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE admin.ts dead list
 * ```
 *
 * @module
 */
import { adminMain } from "./src/cli/admin/main.ts";
import { catalog } from "./tasks/mod.ts";

if (import.meta.main) Deno.exit(await adminMain(catalog, Deno.args));
