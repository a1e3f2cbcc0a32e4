#!/usr/bin/env -S deno run --v8-flags=--max-semi-space-size=1 --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE --allow-read=.
/**
 * The producer CLI over Warren's demo catalog (`tasks/`): publishes tasks and exits once the
 * broker confirmed each. To run it with your own catalog, call `producerMain` from `./cli`.
 *
 * ```sh
 * deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE \
 *   producer.ts sum --start 1 --end 10000
 * ```
 *
 * @module
 */
import { producerMain } from "./src/cli/producer/main.ts";
import { catalog } from "./tasks/mod.ts";

if (import.meta.main) Deno.exit(await producerMain(catalog, Deno.args));
