import { assertEquals } from "@std/assert";
import { type BucketState, refill } from "../../../src/flow/bucket.ts";

const limit = { perSecond: 20, burst: 20 };

Deno.test("refill() adds the tokens accrued at the rate, carrying fractions from tick to tick", () => {
  let state: BucketState = { carry: 0, at: 0 };
  let added = 0;
  // 60 s of 100 ms ticks on a bucket that is emptied at once: exactly the rate.
  for (let t = 100; t <= 60_000; t += 100) {
    const next = refill(state, t, 0, limit);
    added += next.add;
    state = next.state;
  }
  assertEquals(added, 1_200);
});

Deno.test("refill() gives an uneven rate its exact average (7 a second over 10 s)", () => {
  let state: BucketState = { carry: 0, at: 0 };
  let added = 0;
  for (let t = 100; t <= 10_000; t += 100) {
    const next = refill(state, t, 0, { perSecond: 7, burst: 7 });
    added += next.add;
    state = next.state;
  }
  assertEquals(added, 70);
});

Deno.test("refill() fills a bucket no further than its burst, and a full one keeps no debt", () => {
  assertEquals(refill({ carry: 0, at: 0 }, 10_000, 15, limit).add, 5);
  const full = refill({ carry: 0, at: 0 }, 10_000, 20, limit);
  assertEquals(full.add, 0);
  // after a quiet time the next tick adds what one tick accrues, not the time spent full
  assertEquals(refill(full.state, 10_100, 0, limit).add, 3);
});

Deno.test("refill() takes a clock that goes back as no time at all", () => {
  assertEquals(refill({ carry: 0.5, at: 1_000 }, 500, 0, limit).add, 0);
});
