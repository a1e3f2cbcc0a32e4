import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { ValidationError } from "../../../src/errors/validation_error.ts";
import { silentLogger } from "../../../src/util/logger.ts";
import { validatePayload } from "../../../src/task/validation.ts";
import { sum } from "../../../tasks/contracts/sum.ts";
import { handlers } from "../../../tasks/handlers/mod.ts";
import { sumRange } from "../../../tasks/handlers/sum.ts";
import { sumSchema } from "../../../tasks/contracts/sum.ts";

const context = {
  signal: new AbortController().signal,
  attempt: 1,
  id: "t",
  task: "sum",
  log: silentLogger,
  progress: () => {},
};

function loopSum(start: number, end: number): bigint {
  let total = 0n;
  for (let i = start; i <= end; i++) total += BigInt(i);
  return total;
}

Deno.test("sumRange() is exact, beyond 2^53 too", () => {
  assertEquals(sumRange(1, 10), 55n);
  assertEquals(sumRange(1, 10_000), 50_005_000n);
  assertEquals(sumRange(1, 1_000_000_000), 500_000_000_500_000_000n);
  assertEquals(sumRange(0, Number.MAX_SAFE_INTEGER), 40564819207303336344294875201536n);
  assertEquals(
    sumRange(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    0n,
    "a symmetric range sums to zero",
  );
});

Deno.test("sumRange() handles negative ranges and a single number", () => {
  assertEquals(sumRange(-10, 10), 0n);
  assertEquals(sumRange(-5, -1), -15n);
  assertEquals(sumRange(-10, 3), -49n);
  assertEquals(sumRange(7, 7), 7n);
  assertEquals(sumRange(0, 0), 0n);
  assertEquals(sumRange(-3, -3), -3n);
});

Deno.test("sumRange() agrees with a loop on many small ranges", () => {
  for (let start = -30; start <= 30; start += 3) {
    for (let end = start; end <= start + 40; end += 7) {
      assertEquals(sumRange(start, end), loopSum(start, end), `${start}..${end}`);
    }
  }
});

Deno.test("the sum handler returns a bigint", async () => {
  const result = await handlers.get("sum")!.handler({ start: 1, end: 1_000_000_000 }, context);
  assertEquals(typeof result, "bigint");
  assertEquals(result, 500_000_000_500_000_000n);
});

Deno.test("the sum schema accepts start == end and rejects end < start, naming end", () => {
  assertEquals(validatePayload(sum, { start: 5, end: 5 }), { start: 5, end: 5 });
  const err = assertThrows(() => validatePayload(sum, { start: 10, end: 1 }), ValidationError);
  assertEquals(err.issues, [{
    path: "end",
    message: "end must be greater than or equal to start",
  }]);
  assertStringIncludes(err.message, "Invalid payload for task 'sum': end: ");
});

Deno.test("the sum schema wants two integers", () => {
  for (
    const [payload, field] of [
      [{ start: 1 }, "end"],
      [{ end: 1 }, "start"],
      [{ start: 1.5, end: 2 }, "start"],
      [{ start: 1, end: "2" }, "end"],
      [{ start: 1, end: 2 ** 53 }, "end"],
      [{ start: Number.NaN, end: 2 }, "start"],
    ] as const
  ) {
    const parsed = sumSchema.safeParse(payload);
    assert(!parsed.success, JSON.stringify(payload));
    assertEquals(
      parsed.error.issues.map((i) => i.path.join(".")),
      [field],
      JSON.stringify(payload),
    );
  }
});
