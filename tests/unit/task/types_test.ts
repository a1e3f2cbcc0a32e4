/**
 * Compile-time checks: each `// @ts-expect-error` line below must fail to type-check, and
 * `deno test` (which type-checks this file) fails if one of them does not. The runtime assertions
 * show that the same calls, made with valid arguments, work.
 */
import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { z } from "zod";
import {
  defineCatalog,
  type TaskInput,
  type TaskName,
  type TaskPayload,
  type TaskResult,
} from "../../../src/task/catalog.ts";
import { defineTask } from "../../../src/task/contract.ts";
import { UnknownTaskError } from "../../../src/errors/unknown_task_error.ts";
import { ValidationError } from "../../../src/errors/validation_error.ts";
import { silentLogger } from "../../../src/util/logger.ts";
import { prepareTask } from "../../../src/task/prepare.ts";
import { Producer } from "../../../src/producer/producer.ts";
import { defineHandlers } from "../../../src/task/handlers.ts";
import { handlers } from "../../../tasks/handlers/mod.ts";
import { catalog, type WarrenCatalog } from "../../../tasks/mod.ts";

/** `true` exactly when `A` and `B` are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

/** Compiles only when `value` is `true`: `expectType<Equal<A, B>>(true)`. */
function expectType<T extends true>(value: T): T {
  return value;
}

/**
 * Never called (it would need a broker): it exists to be type-checked. `Producer.enqueue` takes
 * the same task names and payloads as `prepareTask`.
 */
export async function enqueueTypesOnly(p: Producer<WarrenCatalog>): Promise<void> {
  // Awaiting a task's result yields its result schema's type.
  const receipt = await p.enqueue("sum", { start: 1, end: 2 }, { result: true });
  const outcome = await p.result(receipt);
  if (outcome.ok) expectType<Equal<typeof outcome.result, bigint>>(true);
  const untyped = await p.result(receipt.id);
  if (untyped.ok) expectType<Equal<typeof untyped.result, unknown>>(true);
  p.enqueue("sum", { start: 1, end: 2 });
  p.enqueue("primes", { limit: 100 });
  p.enqueue("sha256", { text: "abc" });
  p.enqueue("sha256", { text: "abc", rounds: 3 });
  p.enqueue("sleep", { ms: 5 }, { id: "my-id", headers: { trace: "x" } });
  // @ts-expect-error -- "summ" is not a task of the catalog
  p.enqueue("summ", { start: 1, end: 2 });
  // @ts-expect-error -- start must be a number, not a string
  p.enqueue("sum", { start: "1", end: 2 });
  // @ts-expect-error -- end is missing
  p.enqueue("sum", { start: 1 });
  // @ts-expect-error -- sum has no field named stop
  p.enqueue("sum", { start: 1, end: 2, stop: 3 });
  // @ts-expect-error -- the payload of primes is not the payload of sum
  p.enqueue("primes", { start: 1, end: 2 });
  // @ts-expect-error -- rounds is a number
  p.enqueue("sha256", { text: "abc", rounds: "2" });
}

/**
 * Never called: `result: true` compiles on a producer made with `results: true` (or whose
 * `results` is only known when it runs), and not on one made without.
 */
export async function resultSwitchTypesOnly(): Promise<void> {
  const listening = await Producer.connect(catalog, { results: true });
  await listening.enqueue("sum", { start: 1, end: 2 }, { result: true });
  const deaf = await Producer.connect(catalog, { queue: "q" });
  await deaf.enqueue("sum", { start: 1, end: 2 }, { result: false });
  // @ts-expect-error -- this producer was made without `results: true`
  await deaf.enqueue("sum", { start: 1, end: 2 }, { result: true });
  const bare = await Producer.connect(catalog);
  // @ts-expect-error -- this producer was made without `results: true`
  await bare.enqueue("sum", { start: 1, end: 2 }, { result: true });
  const maybe = await Producer.connect(catalog, { results: Math.random() > 0.5 });
  await maybe.enqueue("sum", { start: 1, end: 2 }, { result: true });
}

Deno.test("task names are the catalog's names, as a union type", () => {
  expectType<Equal<TaskName<WarrenCatalog>, "sum" | "primes" | "sha256" | "sleep">>(true);
  assertEquals([...catalog.names].sort(), ["primes", "sha256", "sleep", "sum"]);
});

Deno.test("prepareTask() refuses, at compile time, an unknown task name", () => {
  const err = assertThrows(
    // @ts-expect-error -- "summ" is not a task of the catalog
    () => prepareTask(catalog, "summ", { start: 1, end: 2 }),
    UnknownTaskError,
  );
  assertStringIncludes(err.message, "Unknown task 'summ'");
  assertStringIncludes(err.message, "sum, primes, sha256, sleep");
});

Deno.test("prepareTask() refuses, at compile time, a payload field of the wrong type", () => {
  const err = assertThrows(
    // @ts-expect-error -- start must be a number
    () => prepareTask(catalog, "sum", { start: "1", end: 2 }),
    ValidationError,
  );
  assertEquals(err.issues.map((i) => i.path), ["start"]);
});

Deno.test("prepareTask() refuses, at compile time, a missing payload field", () => {
  const err = assertThrows(
    // @ts-expect-error -- end is missing
    () => prepareTask(catalog, "sum", { start: 1 }),
    ValidationError,
  );
  assertEquals(err.issues.map((i) => i.path), ["end"]);
});

Deno.test("prepareTask() refuses, at compile time, a payload field the schema does not have", () => {
  // At run time zod strips the unknown field: the type check is what catches the typo.
  const message = prepareTask(
    catalog,
    "sum",
    // @ts-expect-error -- sum has no field named stop
    { start: 1, end: 2, stop: 3 },
  );
  assertEquals(message.body.toString(), '{"task":"sum","start":1,"end":2}');
});

Deno.test("prepareTask() of a valid payload encodes it", () => {
  const sum = prepareTask(catalog, "sum", { start: 1, end: 10 });
  assertEquals(sum.task, "sum");
  assertEquals(sum.body.toString(), '{"task":"sum","start":1,"end":10}');
  // The producer may leave out a field with a default; the body carries the parsed value.
  const hash = prepareTask(catalog, "sha256", { text: "abc" });
  assertEquals(JSON.parse(hash.body.toString()), { task: "sha256", text: "abc", rounds: 1 });
});

Deno.test("producers send the schema's input type; handlers receive its output type", () => {
  // sha256's rounds has a default: optional for the producer, always a number in the handler.
  expectType<
    Equal<TaskInput<WarrenCatalog, "sha256">, { text: string; rounds?: number | undefined }>
  >(
    true,
  );
  expectType<Equal<TaskPayload<WarrenCatalog, "sha256">, { text: string; rounds: number }>>(true);
  expectType<Equal<TaskPayload<WarrenCatalog, "sha256">["rounds"], number>>(true);
  expectType<Equal<TaskInput<WarrenCatalog, "sum">, { start: number; end: number }>>(true);
  expectType<Equal<TaskInput<WarrenCatalog, "primes">, { limit: number }>>(true);

  const task = defineTask({
    name: "pad",
    schema: z.object({ text: z.string(), width: z.int().default(8) }),
    result: z.string(),
  });
  const pads = defineCatalog(task);
  defineHandlers(pads, {
    pad: (payload) => {
      expectType<Equal<typeof payload, { text: string; width: number }>>(true);
      return payload.text.padStart(payload.width);
    },
  });
  expectType<Equal<TaskInput<typeof pads, "pad">, { text: string; width?: number | undefined }>>(
    true,
  );
  const message = prepareTask(pads, "pad", { text: "x" });
  assertEquals(JSON.parse(message.body.toString()), { task: "pad", text: "x", width: 8 });
});

Deno.test("task results are the result schemas' output types, on both sides", async () => {
  expectType<Equal<TaskResult<WarrenCatalog, "sum">, bigint>>(true);
  expectType<Equal<TaskResult<WarrenCatalog, "primes">, number>>(true);
  expectType<Equal<TaskResult<WarrenCatalog, "sha256">, string>>(true);
  expectType<Equal<TaskResult<WarrenCatalog, "sleep">, { slept: number }>>(true);
  // A task without a result schema has results of type unknown.
  const bare = defineCatalog(defineTask({ name: "bare", schema: z.object({}) }));
  expectType<Equal<TaskResult<typeof bare, "bare">, unknown>>(true);
  const context = {
    signal: new AbortController().signal,
    attempt: 1,
    id: "t",
    task: "sum",
    log: silentLogger,
    progress: () => {},
  };
  const result = await handlers.get("sum")!.handler({ start: 1, end: 10 }, context);
  assertEquals(result, 55n);
});
