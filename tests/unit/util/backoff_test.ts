import {
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_MAX_MS,
  resolveBackoff,
  retryDelay,
} from "../../../src/util/backoff.ts";
import { ConfigError } from "../../../src/errors/config_error.ts";

/** A `random` that always returns `value`. */
const fixed = (value: number) => () => value;
/** The largest value `Math.random` can return. */
const TOP = 1 - Number.EPSILON;

/** `count` evenly spread values in [0, 1), so that every jitter step is hit. */
function sweep(count: number): () => number {
  let i = 0;
  return () => (i++ % count) / count;
}

Deno.test("resolveBackoff() defaults to 1 s doubling up to 60 s", () => {
  assertEquals(resolveBackoff(undefined, "x"), { base: 1000, max: 60_000 });
  assertEquals(resolveBackoff({}, "x"), {
    base: DEFAULT_BACKOFF_BASE_MS,
    max: DEFAULT_BACKOFF_MAX_MS,
  });
  assertEquals(resolveBackoff({ base: 10 }, "x"), { base: 10, max: 60_000 });
  assertEquals(resolveBackoff({ max: 5000 }, "x"), { base: 1000, max: 5000 });
  assertEquals(resolveBackoff({ base: 500, max: 500 }, "x"), { base: 500, max: 500 });
});

Deno.test("resolveBackoff() names its owner and the bad field", () => {
  const cases: Array<[{ base?: number; max?: number }, string]> = [
    [{ base: 0 }, "Cannot configure the worker as 'backoff.base' must be a positive integer"],
    [
      { base: 2.5 },
      "'backoff.base' must be a positive integer of milliseconds: current value is 2.5",
    ],
    [{ max: -1 }, "'backoff.max' must be a positive integer of milliseconds: current value is -1"],
    [{ base: 100, max: 99 }, "'backoff.max' (99) is below 'backoff.base' (100)"],
  ];
  for (const [options, message] of cases) {
    const err = assertThrows(() => resolveBackoff(options, "the worker"), ConfigError);
    assertStringIncludes(err.message, message);
  }
});

Deno.test("retryDelay() doubles from the base and stops at the max", async (t) => {
  const backoff = { base: 1000, max: 60_000 };
  await t.step("upper end of the jitter range", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((retry) =>
      retryDelay(retry, backoff, fixed(TOP))
    );
    assertEquals(delays, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });
  await t.step("lower end: half of each ceiling", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((retry) => retryDelay(retry, backoff, fixed(0)));
    assertEquals(delays, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });
  await t.step("very late retries do not overflow", () => {
    assertEquals(retryDelay(5000, backoff, fixed(TOP)), 60_000);
    assertEquals(retryDelay(Number.MAX_SAFE_INTEGER, backoff, fixed(0)), 30_000);
  });
});

Deno.test("retryDelay() jitters within [ceiling/2, ceiling] on at most 5 values per level", () => {
  for (const backoff of [{ base: 1000, max: 60_000 }, { base: 3, max: 50 }, { base: 7, max: 7 }]) {
    for (let retry = 1; retry <= 10; retry++) {
      const ceiling = Math.min(backoff.max, backoff.base * 2 ** (retry - 1));
      const random = sweep(1000);
      const seen = new Set<number>();
      for (let i = 0; i < 1000; i++) {
        const delay = retryDelay(retry, backoff, random);
        assertGreaterOrEqual(delay, Math.floor(ceiling / 2));
        assertLessOrEqual(delay, ceiling);
        assertEquals(Number.isInteger(delay), true);
        seen.add(delay);
      }
      assertLessOrEqual(seen.size, 5, `${JSON.stringify(backoff)} retry ${retry}: ${[...seen]}`);
    }
  }
});

Deno.test("retryDelay() uses all 5 steps of an even range: 1/2, 5/8, 3/4, 7/8 and 1 of the ceiling", () => {
  const random = sweep(100);
  const seen = new Set(
    Array.from({ length: 100 }, () => retryDelay(4, { base: 1000, max: 60_000 }, random)),
  );
  assertEquals([...seen].sort((a, b) => a - b), [4000, 5000, 6000, 7000, 8000]);
});

Deno.test("retryDelay() never returns less than 1 ms", () => {
  assertEquals(retryDelay(1, { base: 1, max: 1 }, fixed(0)), 1);
  assertEquals(retryDelay(1, { base: 1, max: 1 }, fixed(TOP)), 1);
});
