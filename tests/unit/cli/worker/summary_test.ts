import { assertEquals } from "@std/assert";
import { SummaryCounter } from "../../../../src/cli/worker/summary.ts";

const done = { event: "task.done", task: "sum", id: "a", attempt: 1, ms: 1, result: 1 } as const;

Deno.test("SummaryCounter says nothing while a worker stays idle", () => {
  const counter = new SummaryCounter(5_000);
  assertEquals(counter.tick(0), undefined);
  assertEquals(counter.tick(0), undefined);
  assertEquals(counter.tick(0), undefined);
});

Deno.test("SummaryCounter prints when counts, rate or work in flight change, then falls silent", () => {
  const counter = new SummaryCounter(1_000);
  counter.tick(0);
  counter.record(done);
  counter.record(done);
  assertEquals(counter.tick(1), { done: 2, failed: 0, dead: 0, rate: 2, inFlight: 1 });
  // Nothing done since: the rate falls to 0, which is worth one line.
  assertEquals(counter.tick(1), { done: 2, failed: 0, dead: 0, rate: 0, inFlight: 1 });
  assertEquals(counter.tick(1), undefined);
  assertEquals(counter.tick(0), { done: 2, failed: 0, dead: 0, rate: 0, inFlight: 0 });
  counter.record({ event: "task.dead", id: "b", ms: 1, error: "e", reason: "not-json" });
  assertEquals(counter.tick(0), { done: 2, failed: 0, dead: 1, rate: 0, inFlight: 0 });
  assertEquals(counter.tick(0), undefined);
});
