/**
 * The producer: the {@linkcode Producer} class for programs, and a CLI that publishes tasks of
 * Warren's catalog.
 *
 * ```sh
 * deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE \
 *   producer.ts sum --start 1 --end 10000
 * ```
 *
 * @module
 */
import { producerMain } from "./src/cli/producer_main.ts";
import { catalog } from "./tasks/mod.ts";

export {
  Producer,
  type ProducerOptions,
  type PublishSummary,
  type Receipt,
} from "./src/producer.ts";
export { producerMain };

if (import.meta.main) Deno.exit(await producerMain(catalog, Deno.args));
