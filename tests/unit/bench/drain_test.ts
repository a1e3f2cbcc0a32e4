import { assertEquals, assertThrows } from "@std/assert";
import { parseBenchArgs } from "../../../bench/options.ts";
import type { FinalLine } from "../../../bench/protocol.ts";
import { drainedTogether } from "../../../bench/run.ts";

function final(handledAt: number[]): FinalLine {
  return {
    type: "final",
    count: handledAt.length,
    first: handledAt[0] ?? 0,
    last: handledAt.at(-1) ?? 0,
    cpuMs: 0,
    checksum: "0",
    latencies: [],
    handledAt,
  };
}

Deno.test("a full queue's drain rate counts only while every consumer was at work", () => {
  // Consumer 1 starts at 0 and drains alone until 1,000 ms; consumer 2 works from 1,000 to
  // 2,000 ms, with consumer 1 until 1,900 ms.
  const alone = Array.from({ length: 500 }, (_, i) => 2 * i); // 0 .. 998
  const together1 = Array.from({ length: 91 }, (_, i) => 1000 + 10 * i); // 1000 .. 1900
  const together2 = Array.from({ length: 101 }, (_, i) => 1000 + 10 * i); // 1000 .. 2000
  const rate = drainedTogether("plain", [final([...alone, ...together1]), final(together2)]);
  // From 1,000 to 1,900 ms: 91 + 91 tasks in 0.9 s (the lone start and end do not count).
  assertEquals(Math.round(rate * 1e6), Math.round((182 / 0.9) * 1e6));
});

Deno.test("a full queue's drain fails, saying what to do, when a consumer got nothing", () => {
  const err = assertThrows(
    () => drainedTogether("warren", [final([1, 2, 3]), final([])]),
    Error,
    "consumer 2 handled no task",
  );
  assertEquals(err.message.endsWith("raise --n"), true);
  assertThrows(
    () => drainedTogether("warren", [final([1, 2]), final([5, 6])]),
    Error,
    "never worked at the same time",
  );
});

Deno.test("--prefill is off unless asked", () => {
  assertEquals(parseBenchArgs([]).prefill, false);
  assertEquals(parseBenchArgs(["--prefill", "--rows", "quorum:100"]).prefill, true);
});
