import { assertEquals, assertStrictEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { z } from "zod";
import { DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from "../../../src/task/options.ts";
import { defineCatalog } from "../../../src/task/catalog.ts";
import { defineTask } from "../../../src/task/contract.ts";
import { TASK_KEY } from "../../../src/wire/task_codec.ts";
import { ConfigError } from "../../../src/errors/config_error.ts";

const schema = z.object({ n: z.int() });

Deno.test("defineTask() fills in retries 3, a ten-minute time limit and a 1 s..60 s backoff", () => {
  const task = defineTask({ name: "double", schema });
  assertEquals(task.name, "double");
  assertStrictEquals(task.schema, schema);
  // Without a result schema, any JSON result is accepted (and typed unknown).
  assertEquals(task.result.safeParse({ any: ["json"] }).success, true);
  assertEquals(task.retries, 3);
  assertEquals(task.retries, DEFAULT_RETRIES);
  assertEquals(task.timeout, 600_000);
  assertEquals(task.timeout, DEFAULT_TIMEOUT_MS);
  assertEquals(task.backoff, { base: 1000, max: 60_000 });
});

Deno.test("defineTask() keeps the options it is given", async (t) => {
  await t.step("retries 0 means a single attempt", () => {
    assertEquals(defineTask({ name: "once", schema, retries: 0 }).retries, 0);
  });
  await t.step("timeout and backoff", () => {
    const task = defineTask({
      name: "tuned",
      schema,
      retries: 7,
      timeout: 250,
      backoff: { base: 10, max: 80 },
    });
    assertEquals([task.retries, task.timeout, task.backoff], [7, 250, { base: 10, max: 80 }]);
  });
  await t.step("a base above the default max raises the default max to the base", () => {
    const task = defineTask({ name: "slow", schema, backoff: { base: 120_000 } });
    assertEquals(task.backoff, { base: 120_000, max: 120_000 });
  });
  await t.step("names may hold letters of either case, digits, '_', '.' and '-'", () => {
    for (const name of ["a", "Sum", "image.resize", "send_mail-v2", "x1"]) {
      assertEquals(defineTask({ name, schema }).name, name);
    }
  });
});

Deno.test("defineTask() rejects a bad name, saying which characters are allowed", () => {
  for (const name of ["", "1st", "_private", "has space", "a/b", "naïve", "-dash", "a:b"]) {
    const err = assertThrows(() => defineTask({ name, schema }), ConfigError);
    assertStringIncludes(err.message, "'name'");
    assertStringIncludes(err.message, "must start with a letter");
    assertStringIncludes(err.message, `current value is ${JSON.stringify(name)}`);
  }
});

Deno.test("defineTask() rejects a schema with a 'task' field, which the wire format reserves", () => {
  const err = assertThrows(
    () =>
      defineTask({
        name: "clash",
        schema: z.object({ task: z.string(), n: z.int() }),
      }),
    ConfigError,
  );
  assertStringIncludes(err.message, "'clash'");
  assertStringIncludes(err.message, `field named '${TASK_KEY}'`);
  assertStringIncludes(err.message, "rename the field");
});

Deno.test("defineTask() rejects retries that are not an integer of 0 or more", () => {
  for (const retries of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    const err = assertThrows(
      () => defineTask({ name: "r", schema, retries }),
      ConfigError,
    );
    assertStringIncludes(err.message, "task 'r'");
    assertStringIncludes(err.message, "'retries' must be an integer of 0 or more");
    assertStringIncludes(err.message, `current value is ${retries}`);
  }
});

Deno.test("defineTask() rejects a timeout that is not a positive number of milliseconds", () => {
  for (const timeout of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
    const err = assertThrows(
      () => defineTask({ name: "t", schema, timeout }),
      ConfigError,
    );
    assertStringIncludes(err.message, "task 't'");
    assertStringIncludes(err.message, "'timeout' must be a positive number of milliseconds");
    assertStringIncludes(err.message, `current value is ${timeout}`);
  }
});

Deno.test("defineTask() rejects a bad backoff, naming backoff.base or backoff.max", async (t) => {
  const cases: Array<[{ base?: number; max?: number }, string]> = [
    [{ base: 0 }, "'backoff.base' must be a positive integer of milliseconds: current value is 0"],
    [{ base: 1.5 }, "'backoff.base' must be a positive integer"],
    [{ base: -100 }, "'backoff.base' must be a positive integer"],
    [{ max: 0 }, "'backoff.max' must be a positive integer of milliseconds: current value is 0"],
    [{ base: 10, max: Number.NaN }, "'backoff.max' must be a positive integer"],
    [{ base: 5000, max: 1000 }, "'backoff.max' (1000) is below 'backoff.base' (5000)"],
  ];
  for (const [backoff, message] of cases) {
    await t.step(JSON.stringify(backoff), () => {
      const err = assertThrows(
        () => defineTask({ name: "b", schema, backoff }),
        ConfigError,
      );
      assertStringIncludes(err.message, "task 'b'");
      assertStringIncludes(err.message, message);
    });
  }
});

Deno.test("defineCatalog() lists tasks by name, in the order given", () => {
  const b = defineTask({ name: "b", schema });
  const a = defineTask({ name: "a", schema });
  const c = defineTask({ name: "c", schema });
  const catalog = defineCatalog(b, a, c);
  assertEquals(catalog.names, ["b", "a", "c"]);
  assertEquals(Object.keys(catalog.tasks), ["b", "a", "c"]);
  assertStrictEquals(catalog.tasks.a, a);
  assertStrictEquals(catalog.get("b"), b);
  assertStrictEquals(catalog.get("c"), c);
});

Deno.test("defineCatalog().get() returns undefined for a name it does not hold", () => {
  const catalog = defineCatalog(defineTask({ name: "a", schema }));
  for (const name of ["", "A", "b", "toString", "constructor", "__proto__", "hasOwnProperty"]) {
    assertStrictEquals(catalog.get(name), undefined, name);
  }
});

Deno.test("defineCatalog() of no tasks is empty", () => {
  const catalog = defineCatalog();
  assertEquals(catalog.names, []);
  assertEquals(catalog.tasks, {});
  assertStrictEquals(catalog.get("sum"), undefined);
});

Deno.test("defineCatalog() rejects a name used twice, naming it", () => {
  const first = defineTask({ name: "dup", schema });
  const second = defineTask({ name: "dup", schema: z.object({}) });
  const err = assertThrows(
    () => defineCatalog(first, defineTask({ name: "other", schema }), second),
    ConfigError,
  );
  assertStringIncludes(err.message, "'dup' is used twice");
  assertStringIncludes(err.message, "give each task its own name");
});

Deno.test("a contract's version is a short hash of its schemas, stable and sensitive", () => {
  const a = defineTask({ name: "a", schema: z.object({ n: z.int(), s: z.string() }) });
  const same = defineTask({ name: "other", schema: z.object({ s: z.string(), n: z.int() }) });
  assertEquals(a.version.length, 8);
  assertEquals(/^[0-9a-f]{8}$/.test(a.version), true);
  // Field order and the task's name do not matter; types, fields, bounds and results do.
  assertEquals(same.version, a.version);
  const variants = [
    z.object({ n: z.number(), s: z.string() }),
    z.object({ n: z.int(), s: z.string(), extra: z.boolean() }),
    z.object({ n: z.int().max(10), s: z.string() }),
    z.object({ n: z.int(), s: z.string().default("x") }),
  ];
  for (const schema of variants) {
    assertEquals(defineTask({ name: "a", schema }).version === a.version, false);
  }
  const withResult = defineTask({ name: "a", schema: a.schema, result: z.number() });
  assertEquals(withResult.version === a.version, false);
});
