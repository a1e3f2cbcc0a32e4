import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { ConfigError } from "../../../src/errors/config_error.ts";
import { type ProducerOptions, resolveProducerOptions } from "../../../src/producer/options.ts";
import { resolveWorkerOptions, type WorkerOptions } from "../../../src/worker/options.ts";
import { catalog } from "../../../tasks/mod.ts";

Deno.test("resolveProducerOptions() refuses an option a producer does not have, listing its own", () => {
  const options = { queue: "jobs", prefetch: 3 } as ProducerOptions;
  const err = assertThrows(() => resolveProducerOptions(options), ConfigError);
  assertStringIncludes(
    err.message,
    "Cannot start producer as 'prefetch' is not one of its options",
  );
  assertStringIncludes(err.message, "results");
});

Deno.test("resolveWorkerOptions() refuses options a worker does not have", () => {
  const options = { results: true, windw: 3 } as WorkerOptions;
  const err = assertThrows(() => resolveWorkerOptions(catalog, options), ConfigError);
  assertStringIncludes(err.message, "'results', 'windw' are not among its options");
  assertStringIncludes(err.message, "prefetch");
});

Deno.test("an option given as undefined is no unknown option", () => {
  const options = { queue: "jobs", ...{ prefetch: undefined } } as ProducerOptions;
  assertEquals(resolveProducerOptions(options).names.main, "jobs");
});
