/**
 * Workflow definitions: what compiles and what does not (each `@ts-expect-error` is a mismatch
 * the type checker must refuse), and what is refused when a workflow is built.
 */
import { assertEquals, assertThrows } from "@std/assert";
import { z } from "zod";
import { type Catalog, defineCatalog } from "../../../src/task/catalog.ts";
import { defineTask } from "../../../src/task/contract.ts";
import { ConfigError } from "../../../src/errors/config_error.ts";
import {
  defineWorkflow,
  MAX_GROUP_MEMBERS,
  type Settled,
  type Workflow,
  type WorkflowStart,
} from "../../../src/workflow/definition.ts";
import type { WorkflowReceipt } from "../../../src/workflow/start.ts";

export const catalog = defineCatalog(
  defineTask({
    name: "split",
    schema: z.object({ n: z.int() }),
    result: z.array(z.object({ from: z.int(), to: z.int() })),
  }),
  defineTask({ name: "sum", schema: z.object({ from: z.int(), to: z.int() }), result: z.int() }),
  defineTask({ name: "total", schema: z.object({ sums: z.array(z.int()) }), result: z.int() }),
  defineTask({ name: "label", schema: z.object({ text: z.string() }), result: z.string() }),
  defineTask({
    name: "double",
    schema: z.object({ x: z.int() }),
    result: z.object({ x: z.int() }),
  }),
);

/** A compile-time check that `A` and `B` are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function sameType<T extends true>(_proof?: T): void {}

Deno.test("a chain, a fan-out and its join are typed from one stage to the next", () => {
  const flow = defineWorkflow(catalog, "pipeline")
    .start("split")
    .each("sum") // a range is sum's payload as it is: no mapping needed
    .join("total", (sums) => ({ sums }))
    .then("label", (total) => ({ text: `total ${total}` }));
  sameType<Same<typeof flow, Workflow<typeof catalog, { n: number }, string>>>();
  assertEquals(flow.stages.map((s) => s.kind), ["task", "each", "join", "task"]);
  // The receipt of a started workflow carries its result's type.
  sameType<Same<WorkflowReceipt<string>["output"], string | undefined>>();
});

Deno.test("a mismatch between a result and the next payload does not compile", () => {
  // Checked by the type checker (deno test checks this file): each line is refused. Never run.
  const mismatches = () => {
    const start = defineWorkflow(catalog, "wrong").start("split");
    // @ts-expect-error -- split's result is a list of ranges, not label's { text }: a mapping is needed
    start.then("label");
    // @ts-expect-error -- the mapping must return label's payload
    start.then("label", (ranges) => ({ text: ranges.length }));
    // @ts-expect-error -- a fan-out needs a list: a number is not one
    start.each("sum").join("total", (sums) => ({ sums })).each("sum");
    // @ts-expect-error -- join's mapping gets the members' results: numbers, not strings
    start.each("sum").join("label", (sums: string[]) => ({ text: sums.join() }));
    // @ts-expect-error -- after a fan-out only a join goes on
    start.each("sum").then("total");
    // @ts-expect-error -- no such task in the catalog
    start.then("nope", () => ({}));
  };
  // What the type checker refuses, a workflow made from data (types cast away) meets when it is
  // built: a task the catalog lacks, and a mapping that is not a function.
  const untyped = defineWorkflow(catalog, "data").start("split") as unknown as {
    then(task: string, map?: unknown): unknown;
  };
  assertThrows(() => untyped.then("nope"), ConfigError, "the catalog has no such task");
  assertThrows(() => untyped.then("sum", "ranges[0]"), ConfigError, "not a function");
  assertEquals(typeof mismatches, "function");
});

Deno.test("a workflow built from data meets the type checker's check when it is built", () => {
  // Names read from a file: the types are cast away, and the check runs on the schemas.
  type Untyped = {
    then(task: string, map?: unknown): Untyped;
    each(task: unknown, map?: unknown): { join(task: string, map?: unknown): Untyped };
    group(members: (m: { task(task: string): unknown }) => unknown[]): {
      join(task: string, map?: unknown): Untyped;
    };
  };
  const from = (task: string) =>
    (defineWorkflow(catalog as Catalog, "data") as WorkflowStart<Catalog>).start(
      task,
    ) as unknown as Untyped;
  assertThrows(
    () => from("split").then("label"),
    ConfigError,
    "Cannot use task 'label' in workflow 'data' without a mapping: split's result does not fit its payload (the result is an array, the payload needs an object); give a mapping",
  );
  assertThrows(
    () => from("sum").each("double"),
    ConfigError,
    "a fan-out needs a list, and sum's result is not one",
  );
  assertThrows(() => from("split").each("double"), ConfigError, "an element of split's result");
  assertThrows(
    () => from("split").each("sum").join("label"),
    ConfigError,
    "the members' results does not fit its payload",
  );
  assertThrows(
    () => from("double").group((m) => [m.task("double"), m.task("label")]),
    ConfigError,
    "double's result does not fit its payload",
  );
  assertThrows(
    () =>
      from("split").each((m: { task(t: string): { then(t: string): unknown } }) =>
        m.task("sum").then("double")
      ),
    ConfigError,
    "sum's result does not fit its payload",
  );
  // What fits is built, mapping or not; a mapping is not looked into.
  from("split").each("sum").join("total", (sums: number[]) => ({ sums })).then("label", String);
  from("double").then("double").group((m) => [m.task("double")]).join(
    "total",
    () => ({ sums: [] }),
  );
  // A check the type checker cannot make: a result with more than a strict payload takes.
  const strict = defineCatalog(
    defineTask({ name: "a", schema: z.object({}), result: z.object({ x: z.int(), y: z.int() }) }),
    defineTask({ name: "b", schema: z.strictObject({ x: z.int() }), result: z.int() }),
  );
  assertThrows(
    () => defineWorkflow(strict, "strict").start("a").then("b"),
    ConfigError,
    "property 'y'",
  );
});

Deno.test("a group's members are typed each by its task, and joinSettled gets settled outcomes", () => {
  const flow = defineWorkflow(catalog, "group")
    .start("double")
    .group((m) => [m.task("double"), m.task("label", ({ x }) => ({ text: String(x) }))])
    .join("label", ([doubled, label]) => ({ text: `${doubled.x} ${label}` }));
  assertEquals(flow.stages[1]!.kind, "group");
  const settled = defineWorkflow(catalog, "settled")
    .start("split")
    .each("sum")
    .joinSettled("total", (outcomes) => {
      sameType<Same<typeof outcomes, Settled<number>[]>>();
      return { sums: outcomes.map((o) => (o.ok ? o.result : 0)) };
    });
  assertEquals(settled.stages[2], {
    kind: "join",
    step: settled.stages[2]!.kind === "join" ? settled.stages[2]!.step : { task: "" },
    onFailure: "continue",
  });
});

Deno.test("a member may be a chain: in a group and in a fan-out, typed from its first step to its last", () => {
  const fanned = defineWorkflow(catalog, "chains")
    .start("split")
    .each((m) => m.task("sum").then("double", (sum) => ({ x: sum })))
    .join("total", (doubled) => ({ sums: doubled.map((d) => d.x) }));
  sameType<Same<typeof fanned, Workflow<typeof catalog, { n: number }, number>>>();
  const each = fanned.stages[1]!;
  assertEquals(each.kind === "each" && each.step.next?.map((s) => s.task), ["double"]);
  const grouped = defineWorkflow(catalog, "group-chains")
    .start("double")
    .group((m) => [m.task("double").then("label", ({ x }) => ({ text: `${x}` })), m.task("double")])
    .join("label", ([text, doubled]) => {
      sameType<Same<[string, { x: number }], [typeof text, typeof doubled]>>();
      return { text: `${text} ${doubled.x}` };
    });
  assertEquals(grouped.stages[1]!.kind, "group");
  const mismatches = () => {
    const start = defineWorkflow(catalog, "wrong").start("split");
    // @ts-expect-error -- sum's result is a number, not double's { x }: a mapping is needed
    start.each((m) => m.task("sum").then("double"));
    // @ts-expect-error -- a fan-out of chains needs a list too
    start.each("sum").join("total", (sums) => ({ sums })).each((m) => m.task("double"));
    // @ts-expect-error -- the join gets each chain's last result: { x }, not numbers
    start.each((m) => m.task("sum").then("double", (x) => ({ x }))).join("total");
  };
  assertEquals(typeof mismatches, "function");
  // A member not made by the maker it was given is refused when built.
  const untyped = defineWorkflow(catalog, "data").start("split") as unknown as {
    each(member: (m: unknown) => unknown): unknown;
  };
  assertThrows(
    () => untyped.each(() => ({ step: { task: "sum" } })),
    ConfigError,
    "made by the maker",
  );
});

Deno.test("building a workflow refuses a bad name, an unknown task and an empty or huge group", () => {
  assertThrows(() => defineWorkflow(catalog, "no spaces"), ConfigError, "a name is a letter");
  assertThrows(() => defineWorkflow(catalog, ""), ConfigError);
  const start = defineWorkflow(catalog, "w").start("double");
  assertThrows(
    () => (start.then as (task: string) => unknown)("nope"),
    ConfigError,
    "the catalog has no such task",
  );
  assertThrows(() => start.group(() => []), ConfigError, "a group holds 1 to");
  assertThrows(
    () => start.group((m) => Array.from({ length: MAX_GROUP_MEMBERS + 1 }, () => m.task("double"))),
    ConfigError,
    "a group holds 1 to",
  );
  assertThrows(
    () => (start.then as (task: string, map: unknown) => unknown)("double", 42),
    ConfigError,
    "its mapping is not a function",
  );
});

Deno.test("a step's timing is checked, and is refused on the first step", () => {
  const start = defineWorkflow(catalog, "timed").start("double");
  assertThrows(() => start.timing({ delay: 10 }), ConfigError, "give its delay and expiry");
  const timed = start.then("double").timing({ delay: 1_000, expires: 5_000 });
  assertEquals(timed.stages[1], {
    kind: "task",
    step: { task: "double", options: { delay: 1_000, expires: 5_000 } },
  });
  assertThrows(() => start.then("double").timing({ delay: -1 }), ConfigError, "0 or more");
  assertThrows(
    () => start.then("double").timing({ delay: 5, expires: 5 }),
    ConfigError,
    "expire before it may start",
  );
});
