/**
 * The example's producer: Warren's producer CLI over the example's catalog (every flag of
 * Warren's producer: a task and its payload flags, `--json`, `--file`, `--count`, `--wait`…;
 * see `--help`). `call` tasks go to where they wait for a token, `account` tasks to their key's
 * partition.
 *
 * @module
 */
import { producerMain } from "warren/cli/producer";
import { catalog } from "./tasks.ts";

if (import.meta.main) {
  Deno.exit(await producerMain(catalog, Deno.args));
}
