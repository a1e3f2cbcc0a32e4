import { assertEquals, assertStrictEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { z } from "zod";
import { ConfigError } from "../../../src/errors/config_error.ts";
import { defineCatalog } from "../../../src/task/catalog.ts";
import { defineTask } from "../../../src/task/contract.ts";
import { defineHandlers, type HandlerMap } from "../../../src/task/handlers.ts";

const add = defineTask({
  name: "add",
  schema: z.object({ a: z.number(), b: z.number().default(1) }),
  result: z.number(),
});
const shout = defineTask({ name: "shout", schema: z.object({ text: z.string() }) });
const catalog = defineCatalog(add, shout);

Deno.test("defineHandlers() binds each task's handler to its contract", () => {
  const adder = ({ a, b }: { a: number; b: number }) => a + b;
  const handlers = defineHandlers(catalog, { add: adder, shout: ({ text }) => text.toUpperCase() });
  assertStrictEquals(handlers.catalog, catalog);
  assertStrictEquals(handlers.get("add")?.contract, add);
  assertStrictEquals(handlers.get("add")?.handler, adder);
  assertStrictEquals(handlers.get("nope"), undefined);
});

Deno.test("defineHandlers() refuses, at compile time, a missing, extra or mistyped handler", () => {
  const missing = { add: ({ a }: { a: number }) => a } as unknown as HandlerMap<typeof catalog>;
  // @ts-expect-error -- shout has no handler
  const untyped: HandlerMap<typeof catalog> = { add: ({ a }) => a };
  assertEquals(typeof untyped.add, "function");
  const err = assertThrows(() => defineHandlers(catalog, missing), ConfigError);
  assertStringIncludes(err.message, "task 'shout' of the catalog has no handler");

  const extra = () =>
    defineHandlers(catalog, {
      add: ({ a }) => a,
      shout: ({ text }) => text,
      // @ts-expect-error -- the catalog has no task named resize
      resize: () => 0,
    });
  const extraErr = assertThrows(extra, ConfigError);
  assertStringIncludes(extraErr.message, "no task named 'resize'");

  defineHandlers(catalog, {
    // @ts-expect-error -- add's result schema is a number, not a string
    add: ({ a }) => `${a}`,
    shout: ({ text }) => text,
  });
  defineHandlers(catalog, {
    // @ts-expect-error -- the payload has no field c
    add: ({ c }) => c,
    shout: ({ text }) => text,
  });
});

Deno.test("a handler receives the schema's output: defaults filled in", () => {
  const handlers = defineHandlers(catalog, {
    add: ({ a, b }) => {
      const both: [number, number] = [a, b]; // b is a number here, though optional to producers
      return both[0] + both[1];
    },
    shout: ({ text }) => text,
  });
  assertEquals(handlers.get("add")?.handler({ a: 1, b: 1 }, {} as never), 2);
});
