import { assertEquals } from "@std/assert";
import { type BucketState, refill } from "../../../src/flow/bucket.ts";

const limit = { perSecond: 20, burst: 20 };

Deno.test("refill() adds the tokens accrued at the rate, carrying fractions from tick to tick", () => {
  let state: BucketState = { carry: 0, at: 0 };
  let added = 0;
  // 60 s of 100 ms ticks on a bucket that is emptied at once: exactly the rate.
  for (let t = 100; t <= 60_000; t += 100) {
    const next = refill(state, t, 0, limit, 100);
    added += next.add;
    state = next.state;
  }
  assertEquals(added, 1_200);
});

Deno.test("refill() gives an uneven rate its exact average (7 a second over 10 s)", () => {
  let state: BucketState = { carry: 0, at: 0 };
  let added = 0;
  for (let t = 100; t <= 10_000; t += 100) {
    const next = refill(state, t, 0, { perSecond: 7, burst: 7 }, 100);
    added += next.add;
    state = next.state;
  }
  assertEquals(added, 70);
});

Deno.test("refill() fills a bucket no further than its burst, and a full one keeps no debt", () => {
  assertEquals(refill({ carry: 0, at: 0 }, 10_000, 15, limit, 100).add, 5);
  const full = refill({ carry: 0, at: 0 }, 10_000, 20, limit, 100);
  assertEquals(full.add, 0);
  assertEquals(full.state.full, true);
  // after a quiet time the next tick adds what one tick accrues, not the time spent full
  assertEquals(refill(full.state, 10_100, 0, limit, 100).add, 2);
});

Deno.test("refill() after a look at a full bucket counts one tick, however late the next look", () => {
  // The refiller looks at a full bucket about once a second. Emptied just before the next look,
  // it would otherwise get a second's worth at once: twice the burst in a moment.
  const full = refill({ carry: 0, at: 0 }, 1_000, 20, limit, 100).state;
  assertEquals(refill(full, 2_000, 0, limit, 100).add, 2);
  // a tick that fills the bucket counts as a look at a full one
  const filled = refill({ carry: 0, at: 0 }, 1_000, 5, limit, 100);
  assertEquals([filled.add, filled.state.full], [15, true]);
  assertEquals(refill(filled.state, 2_000, 0, limit, 100).add, 2);
  // and one that leaves room does not: the whole gap accrues
  const partial = refill({ carry: 0, at: 0 }, 100, 0, limit, 100).state;
  assertEquals(refill(partial, 600, 0, limit, 100).add, 10);
});

Deno.test("refill() over a bucket found drained after a quiet time gives the rate from that look", () => {
  // Full at every look for 5 s (once a second, as the refiller looks at a full bucket), then
  // drained somewhere before the look at 6 s, and at every tick after: the look at 6 s adds one
  // tick's worth, and every second from it adds the rate, not a second burst.
  let state: BucketState = { carry: 0, at: 0 };
  for (const t of [1_000, 2_000, 3_000, 4_000, 5_000]) {
    state = refill(state, t, 20, limit, 100).state;
  }
  const added: Array<[number, number]> = [];
  for (let t = 6_000; t < 8_000; t += 100) {
    const next = refill(state, t, 0, limit, 100);
    added.push([t, next.add]);
    state = next.state;
  }
  const within = (from: number, to: number) =>
    added.filter(([t]) => t >= from && t < to).reduce((sum, [, n]) => sum + n, 0);
  assertEquals(added[0], [6_000, 2]);
  assertEquals([within(6_000, 7_000), within(7_000, 8_000)], [20, 20]);
});

Deno.test("refill() takes a clock that goes back as no time at all", () => {
  assertEquals(refill({ carry: 0.5, at: 1_000 }, 500, 0, limit, 100).add, 0);
});
