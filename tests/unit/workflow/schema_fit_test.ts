/**
 * Whether a task's result fits the next payload, told from their schemas: what fits, what does
 * not and why, and what cannot be told.
 */
import { assertEquals, assertMatch } from "@std/assert";
import { z } from "zod";
import { misfit } from "../../../src/workflow/schema_fit.ts";

Deno.test("a result fits a payload of the same schema, or a looser one", () => {
  const page = z.object({ url: z.string(), size: z.int().optional(), tags: z.array(z.string()) });
  assertEquals(misfit(page, page), undefined);
  assertEquals(misfit(page, z.object({ url: z.string() })), undefined);
  assertEquals(misfit(page, z.object({ url: z.string(), size: z.number().optional() })), undefined);
  assertEquals(misfit(z.object({ n: z.int() }), z.object({ n: z.number() })), undefined);
  assertEquals(misfit(z.object({ n: z.number() }), z.object({ n: z.int() })), undefined);
  assertEquals(
    misfit(z.object({ a: z.string() }), z.object({ a: z.string(), b: z.int().default(1) })),
    undefined,
  );
  assertEquals(misfit(z.object({ n: z.int() }), z.looseObject({ n: z.int() })), undefined);
});

Deno.test("enums, literals and booleans fit when every value is accepted", () => {
  const wanted = z.object({ level: z.enum(["low", "mid", "high"]) });
  assertEquals(misfit(z.object({ level: z.enum(["low", "high"]) }), wanted), undefined);
  assertEquals(misfit(z.object({ level: z.literal("mid") }), wanted), undefined);
  assertEquals(misfit(z.boolean(), z.union([z.literal(true), z.literal(false)])), undefined);
  assertEquals(misfit(z.literal(3), z.int()), undefined);
});

Deno.test("a union fits when every branch does, and a union payload when one branch does", () => {
  const result = z.union([z.object({ id: z.string() }), z.object({ id: z.string(), n: z.int() })]);
  assertEquals(misfit(result, z.object({ id: z.string() })), undefined);
  assertEquals(misfit(z.string(), z.union([z.number(), z.string()])), undefined);
  assertEquals(
    misfit(z.object({ a: z.string() }), z.object({ a: z.string() }).nullable()),
    undefined,
  );
  assertEquals(
    misfit(z.object({ a: z.string().nullable() }), z.object({ a: z.string().nullish() })),
    undefined,
  );
});

Deno.test("anything fits an unknown payload, and an unknown result cannot be told", () => {
  assertEquals(misfit(z.object({ a: z.string() }), z.unknown()), undefined);
  assertEquals(misfit(z.object({ a: z.string() }), z.object({ a: z.any() })), undefined);
  assertEquals(misfit(z.unknown(), z.object({ a: z.string() })), undefined);
  assertEquals(misfit(z.object({ a: z.unknown() }), z.object({ a: z.string() })), undefined);
});

Deno.test("a result of another type does not fit, and the message names the path", () => {
  assertEquals(
    misfit(z.string(), z.number()),
    "the result is a string, the payload needs a number",
  );
  assertEquals(
    misfit(z.object({ count: z.string() }), z.object({ count: z.number() })),
    "at .count: the result is a string, the payload needs a number",
  );
  assertEquals(
    misfit(
      z.object({ pages: z.array(z.object({ url: z.int() })) }),
      z.object({ pages: z.array(z.object({ url: z.string() })) }),
    ),
    "at .pages[].url: the result is an integer, the payload needs a string",
  );
  assertEquals(
    misfit(z.object({ a: z.string().nullable() }), z.object({ a: z.string() })),
    "at .a: the result may be null, the payload needs a string",
  );
  assertEquals(
    misfit(z.tuple([z.string(), z.boolean()]), z.tuple([z.string(), z.string()])),
    "at [1]: the result is a boolean, the payload needs a string",
  );
  assertEquals(
    misfit(z.record(z.string(), z.string()), z.record(z.string(), z.int())),
    "at .*: the result is a string, the payload needs an integer",
  );
});

Deno.test("a property the payload requires is missing from the result, or may be", () => {
  assertEquals(
    misfit(z.object({ text: z.string() }), z.object({ text: z.string(), words: z.int() })),
    "the result has no property 'words', which the payload requires",
  );
  assertEquals(
    misfit(z.object({ text: z.string().optional() }), z.object({ text: z.string() })),
    "the result's property 'text' may be missing, which the payload requires",
  );
  assertEquals(
    misfit(z.object({ doc: z.object({}) }), z.object({ doc: z.object({ id: z.string() }) })),
    "at .doc: the result has no property 'id', which the payload requires",
  );
});

Deno.test("a strict payload refuses the result's other properties", () => {
  assertEquals(
    misfit(z.object({ a: z.string(), b: z.int() }), z.strictObject({ a: z.string() })),
    "the result has property 'b', which the payload does not allow",
  );
  assertEquals(
    misfit(z.object({ a: z.string(), b: z.int().optional() }), z.strictObject({ a: z.string() })),
    "the result may have property 'b', which the payload does not allow",
  );
});

Deno.test("an enum result fits only within the payload's enum", () => {
  assertEquals(
    misfit(z.enum(["low", "urgent"]), z.enum(["low", "high"])),
    'the result may be "urgent", the payload accepts only "low" or "high"',
  );
  assertEquals(
    misfit(z.object({ level: z.string() }), z.object({ level: z.enum(["low", "high"]) })),
    'at .level: the result may be any string, the payload accepts only "low" or "high"',
  );
});

Deno.test("a union result does not fit when one branch does not", () => {
  const result = z.union([z.object({ n: z.int() }), z.object({ n: z.string() })]);
  assertEquals(
    misfit(result, z.object({ n: z.int() })),
    "at .n: the result is a string, the payload needs an integer",
  );
  assertMatch(
    misfit(
      z.object({ a: z.int() }),
      z.union([z.object({ b: z.int() }), z.object({ c: z.int() })]),
    ) ?? "",
    /fits none of the payload.s 2 alternatives/,
  );
  assertEquals(
    misfit(z.object({ a: z.int() }), z.object({ b: z.int() }).nullable()),
    "the result has no property 'b', which the payload requires",
  );
});

Deno.test("transforms, refinements, codecs and references do not throw and fit when unsure", () => {
  const length = z.string().transform((s) => s.length);
  assertEquals(misfit(length, z.string()), undefined);
  assertEquals(misfit(z.object({ n: length }), z.object({ n: z.string() })), undefined);
  assertEquals(misfit(z.string().refine((s) => s !== ""), z.string().min(3)), undefined);
  assertEquals(misfit(z.object({ n: z.string() }), z.object({ n: length })), undefined);
  const big = z.codec(z.string(), z.bigint(), { decode: BigInt, encode: String });
  assertEquals(misfit(big, z.object({ n: big })), undefined);
  assertEquals(misfit(z.date(), z.object({ at: z.date() })), undefined);
  const shared = z.object({ id: z.string() }).meta({ id: "SchemaFitShared" });
  assertEquals(
    misfit(z.object({ a: shared }), z.object({ a: z.object({ id: z.int() }) })),
    "at .a.id: the result is a string, the payload needs an integer",
  );
  type Tree = { children: Tree[] };
  const tree: z.ZodType<Tree> = z.object({
    get children(): z.ZodArray<z.ZodType<Tree>> {
      return z.array(tree);
    },
  });
  assertEquals(misfit(tree, tree), undefined);
});

Deno.test("a mismatch deeper than the depth limit cannot be told", () => {
  const nest = (leaf: z.ZodType, depth: number): z.ZodType =>
    depth === 0 ? leaf : z.object({ n: nest(leaf, depth - 1) });
  assertMatch(misfit(nest(z.string(), 5), nest(z.int(), 5)) ?? "", /^at \.n\.n\.n\.n\.n: /);
  assertEquals(misfit(nest(z.string(), 40), nest(z.int(), 40)), undefined);
});

Deno.test("a result of several types or values fits a union payload piece by piece", () => {
  const both = z.union([z.object({ a: z.string() }), z.null()]);
  assertEquals(misfit(z.string().nullable(), z.union([z.string(), z.null()])), undefined);
  assertEquals(misfit(z.object({ a: z.string() }).nullable(), both), undefined);
  assertEquals(
    misfit(z.enum(["a", "b"]), z.union([z.literal("a"), z.object({})])),
    'the result may be "b", the payload accepts only "a"',
  );
});
