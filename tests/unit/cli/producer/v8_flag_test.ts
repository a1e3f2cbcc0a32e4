/**
 * The producer's small young generation is given wherever Warren runs the producer for the user:
 * `deno task producer`, compose.yaml's producers and the compiled producer.
 */
import { assert, assertEquals } from "@std/assert";
import { parse } from "yaml";
import { PRODUCER_V8_FLAG, PROGRAM_EXTRA_FLAGS } from "../../../../scripts/compile.ts";

const root = new URL("../../../../", import.meta.url);

Deno.test("the producer's V8 flag is in deno task producer, compose.yaml and the binary", async (t) => {
  await t.step("deno task producer", async () => {
    const config: { tasks: Record<string, string> } = JSON.parse(
      await Deno.readTextFile(new URL("deno.json", root)),
    );
    const task = String(config.tasks.producer).split(" ");
    assertEquals(task.slice(0, 2), ["deno", "run"]);
    assert(task.includes(PRODUCER_V8_FLAG), `deno.json's producer task: ${task.join(" ")}`);
  });

  await t.step("compose.yaml's producer and cluster-producer", async () => {
    const compose = parse(await Deno.readTextFile(new URL("compose.yaml", root))) as {
      services: Record<string, { entrypoint: string[] }>;
    };
    const producer = compose.services.producer?.entrypoint ?? [];
    assert(producer.includes(PRODUCER_V8_FLAG), `producer: ${producer.join(" ")}`);
    const script = compose.services["cluster-producer"]?.entrypoint[2] ?? "";
    assert(script.split(/\s+/).includes(PRODUCER_V8_FLAG), `cluster-producer: ${script}`);
  });

  await t.step("the compiled producer", () => {
    assert(PROGRAM_EXTRA_FLAGS.producer.includes(PRODUCER_V8_FLAG));
  });
});
