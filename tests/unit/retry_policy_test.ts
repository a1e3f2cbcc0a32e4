import { assertEquals, assertGreaterOrEqual, assertLessOrEqual } from "@std/assert";
import { z } from "zod";
import { defineTask } from "../../src/catalog.ts";
import { NonRetryableError, TaskTimeoutError } from "../../src/errors.ts";
import { decideFailure } from "../../src/retry_policy.ts";

const task = defineTask({
  name: "flaky",
  schema: z.object({}),
  handler: () => {},
  retries: 3,
  backoff: { base: 100, max: 1000 },
});
const top = () => 1 - Number.EPSILON;
const bottom = () => 0;

Deno.test("decideFailure() retries while attempts are left, then dead-letters as failed", () => {
  const error = new Error("boom");
  assertEquals(decideFailure(task, 1, error, {}, top), { kind: "retry", delay: 100 });
  assertEquals(decideFailure(task, 2, error, {}, top), { kind: "retry", delay: 200 });
  assertEquals(decideFailure(task, 3, error, {}, top), { kind: "retry", delay: 400 });
  assertEquals(decideFailure(task, 4, error, {}, top), { kind: "dead", reason: "failed" });
  assertEquals(decideFailure(task, 9, error, {}, top), { kind: "dead", reason: "failed" });
});

Deno.test("decideFailure() with retries 0 dead-letters the first failure", () => {
  const once = defineTask({ name: "once", schema: z.object({}), handler: () => {}, retries: 0 });
  assertEquals(decideFailure(once, 1, new Error("x")), { kind: "dead", reason: "failed" });
});

Deno.test("decideFailure() dead-letters a NonRetryableError at once, attempts left or not", () => {
  class BadInput extends NonRetryableError {}
  for (const error of [new NonRetryableError("bad input"), new BadInput("subclass")]) {
    assertEquals(decideFailure(task, 1, error), { kind: "dead", reason: "non-retryable" });
    assertEquals(decideFailure(task, 5, error), { kind: "dead", reason: "non-retryable" });
  }
});

Deno.test("decideFailure() retries anything else that was thrown, timeouts included", () => {
  for (
    const error of [
      new TaskTimeoutError("flaky", 10),
      new TypeError("x"),
      "a string",
      undefined,
      null,
    ]
  ) {
    assertEquals(decideFailure(task, 1, error, {}, bottom), { kind: "retry", delay: 50 });
  }
});

Deno.test("decideFailure() lets the worker's overrides win over the task's options", async (t) => {
  await t.step("more retries", () => {
    const overrides = { retries: 10 };
    assertEquals(decideFailure(task, 4, new Error("x"), overrides, top).kind, "retry");
    assertEquals(decideFailure(task, 10, new Error("x"), overrides, top).kind, "retry");
    assertEquals(decideFailure(task, 11, new Error("x"), overrides, top), {
      kind: "dead",
      reason: "failed",
    });
  });
  await t.step("fewer retries", () => {
    assertEquals(decideFailure(task, 1, new Error("x"), { retries: 0 }), {
      kind: "dead",
      reason: "failed",
    });
  });
  await t.step("another backoff", () => {
    const overrides = { backoff: { base: 5000, max: 8000 } };
    assertEquals(decideFailure(task, 1, new Error("x"), overrides, top), {
      kind: "retry",
      delay: 5000,
    });
    assertEquals(decideFailure(task, 3, new Error("x"), overrides, top), {
      kind: "retry",
      delay: 8000,
    });
  });
  await t.step("overrides do not make a NonRetryableError retryable", () => {
    assertEquals(decideFailure(task, 1, new NonRetryableError("no"), { retries: 99 }), {
      kind: "dead",
      reason: "non-retryable",
    });
  });
});

Deno.test("decideFailure() jitters with Math.random by default, within the range", () => {
  for (let i = 0; i < 200; i++) {
    const decision = decideFailure(task, 2, new Error("x"));
    if (decision.kind !== "retry") throw new Error(`expected a retry, got ${decision.kind}`);
    assertGreaterOrEqual(decision.delay, 100);
    assertLessOrEqual(decision.delay, 200);
  }
});
