import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { z } from "zod";
import { defineTask } from "../../../../src/task/contract.ts";
import { UsageError } from "../../../../src/cli/shared/exit.ts";
import {
  flagValidationError,
  payloadFromFlags,
  taskFlags,
} from "../../../../src/cli/producer/task_flags.ts";
import { ValidationError } from "../../../../src/errors/validation_error.ts";
import { primes, sha256, sleep, sum } from "../../../../tasks/mod.ts";

const resize = defineTask({
  name: "resize",
  schema: z.object({
    imageUrl: z.string().max(2048).describe("where the image is"),
    maxWidth: z.int().min(1).max(10_000).default(800),
    quality: z.number().min(0).max(1).optional(),
    dryRun: z.boolean().optional().describe("only report what would be done"),
    format: z.enum(["png", "jpeg"]),
    tags: z.array(z.string()),
  }),
});

Deno.test("taskFlags() makes one flag per field, kebab-case, in the schema's order", () => {
  const flags = taskFlags(resize);
  assertEquals(
    flags.map(({ flag, field, kind, required }) => ({ flag, field, kind, required })),
    [
      { flag: "image-url", field: "imageUrl", kind: "string", required: true },
      { flag: "max-width", field: "maxWidth", kind: "integer", required: false },
      { flag: "quality", field: "quality", kind: "number", required: false },
      { flag: "dry-run", field: "dryRun", kind: "boolean", required: false },
      { flag: "format", field: "format", kind: "string", required: true },
      { flag: "tags", field: "tags", kind: "json", required: true },
    ],
  );
});

Deno.test("taskFlags() help shows the description, kind, constraints and default", () => {
  const help = Object.fromEntries(taskFlags(resize).map((f) => [f.flag, f.help]));
  assertEquals(help["image-url"], "where the image is (string, at most 2048 characters)");
  assertEquals(help["max-width"], "(integer, >= 1, <= 10000, default 800)");
  assertEquals(help["quality"], "(number, >= 0, <= 1)");
  assertEquals(help["dry-run"], "only report what would be done (boolean)");
  assertEquals(help["format"], "(string, one of png, jpeg)");
  assertEquals(help["tags"], "(json)");
});

Deno.test("taskFlags() of the shipped tasks", () => {
  assertEquals(taskFlags(sum), [
    {
      flag: "start",
      field: "start",
      kind: "integer",
      required: true,
      help: "first integer of the range (integer)",
      rule: { integer: true },
    },
    {
      flag: "end",
      field: "end",
      kind: "integer",
      required: true,
      help: "last integer of the range (>= start) (integer)",
      rule: { integer: true },
    },
  ]);
  assertEquals(taskFlags(primes), [
    {
      flag: "limit",
      field: "limit",
      kind: "integer",
      required: true,
      help: "count primes <= limit (up to 100000000) (integer, >= 0, <= 100000000)",
      rule: { integer: true, min: 0, max: 100_000_000 },
    },
  ]);
  const [text, rounds] = taskFlags(sha256);
  assertEquals([text?.flag, text?.required], ["text", true]);
  assertStringIncludes(text?.help ?? "", "at most 1000000 characters");
  assertEquals([rounds?.flag, rounds?.kind, rounds?.required], ["rounds", "integer", false]);
  assertEquals(rounds?.help, "how many times to hash (integer, >= 1, <= 10000000, default 1)");
  assertEquals(taskFlags(sleep).map((f) => f.flag), ["ms"]);
});

Deno.test("payloadFromFlags() parses integers, including 1e9 and 1_000", () => {
  const flags = taskFlags(sum);
  assertEquals(payloadFromFlags(flags, { start: "1", end: "1e9" }), { start: 1, end: 1e9 });
  assertEquals(payloadFromFlags(flags, { start: "1_000", end: "1_000_000" }), {
    start: 1000,
    end: 1_000_000,
  });
  assertEquals(payloadFromFlags(flags, { start: "-5", end: "+5" }), { start: -5, end: 5 });
  assertEquals(payloadFromFlags(flags, { start: " 7 ", end: "2.5E3" }), {
    start: 7,
    end: 2500,
  });
});

Deno.test("payloadFromFlags() leaves absent flags out, so that defaults and errors apply", () => {
  assertEquals(payloadFromFlags(taskFlags(sum), {}), {});
  assertEquals(payloadFromFlags(taskFlags(sha256), { text: "abc" }), { text: "abc" });
  assertEquals(payloadFromFlags(taskFlags(sum), { start: "1", queue: "q", help: false }), {
    start: 1,
  });
});

Deno.test("payloadFromFlags() rejects a value that is not a number, naming the flag", () => {
  const flags = taskFlags(sum);
  for (const raw of ["abc", "", "1,000", "0x10", "1__0", "_1", "Infinity", "1e", "--5", "1.5"]) {
    const err = assertThrows(() => payloadFromFlags(flags, { start: "1", end: raw }), UsageError);
    assertEquals(err.message, `--end must be an integer: got '${raw}'`);
  }
  const quality = taskFlags(resize).filter((f) => f.flag === "quality");
  const err = assertThrows(() => payloadFromFlags(quality, { quality: "high" }), UsageError);
  assertEquals(err.message, "--quality must be a number from 0 to 1: got 'high'");
});

Deno.test("payloadFromFlags() words a value out of the schema's bounds as every number flag", () => {
  const err = assertThrows(
    () => payloadFromFlags(taskFlags(primes), { limit: "1e9" }),
    UsageError,
  );
  assertEquals(err.message, "--limit must be an integer from 0 to 100000000: got '1e9'");
});

Deno.test("payloadFromFlags() keeps strings as they are, booleans as given and parses JSON", () => {
  const flags = taskFlags(resize);
  const payload = payloadFromFlags(flags, {
    "image-url": "123",
    "max-width": "640",
    quality: ".5",
    "dry-run": true,
    format: "png",
    tags: '["a","b"]',
  });
  assertEquals(payload, {
    imageUrl: "123",
    maxWidth: 640,
    quality: 0.5,
    dryRun: true,
    format: "png",
    tags: ["a", "b"],
  });
  assertEquals(resize.schema.safeParse(payload).success, true);
  const err = assertThrows(() => payloadFromFlags(flags, { tags: "[a, b]" }), UsageError);
  assertEquals(err.message, "--tags must be a JSON value: got '[a, b]'");
});

Deno.test("flagValidationError() words a refused payload in flags", () => {
  const flags = taskFlags(resize);
  const err = new ValidationError("resize", [
    { path: "imageUrl", message: "Invalid input: expected string, received undefined" },
    { path: "maxWidth", message: "Too big: expected number to be <=10000" },
    { path: "tags.1", message: "Invalid input: expected string, received number" },
    { path: "", message: "something about the whole payload" },
  ]);
  const usage = flagValidationError(flags, { maxWidth: 20_000, tags: ["a", 1] }, err);
  assertEquals(usage instanceof UsageError, true);
  assertEquals(usage.cause, err);
  assertEquals(
    usage.message,
    "Invalid payload for task 'resize': --image-url is required; " +
      "--max-width: Too big: expected number to be <=10000; " +
      "--tags.1: Invalid input: expected string, received number; " +
      "something about the whole payload",
  );
});
