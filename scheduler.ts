#!/usr/bin/env -S deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE --allow-read=.
/**
 * The scheduler CLI over Warren's demo catalog: enqueues the tasks of a file of schedules when
 * they are due, as one of any number of replicas. To run it with your own catalog, call
 * `schedulerMain` from `./cli`.
 *
 * ```sh
 * deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE \
 *   --allow-read=schedules.json scheduler.ts --file schedules.json
 * ```
 *
 * @module
 */
import { schedulerMain } from "./src/cli/scheduler/main.ts";
import { catalog } from "./tasks/mod.ts";

if (import.meta.main) Deno.exit(await schedulerMain(catalog, Deno.args));
