/**
 * The token bucket's arithmetic, pure: how many tokens the refiller adds at a tick, given the
 * time since the last one and how many tokens the bucket (`Q.tokens.<task>`) holds. Tokens
 * accrue at `perSecond`; what would overflow the bucket's `burst` is lost, as in any token
 * bucket, so a quiet time gives at most `burst` tasks at once.
 *
 * The refiller sees the bucket only at its ticks. A bucket it left full may have stayed full
 * until just before the next tick, and a full bucket accrues nothing: so the first tick after
 * one that left the bucket full counts at most `tickMs` of accrual, however long ago that tick
 * was. Counting the whole gap would let twice the burst through at once after a quiet time (the
 * refiller looks at a full bucket only about once a second).
 *
 * @module
 */

/** What the refiller carries from one tick to the next. */
export interface BucketState {
  /** The fraction of a token accrued and not yet added. */
  readonly carry: number;
  /** When the last tick was (milliseconds, any clock). */
  readonly at: number;
  /** Whether the last tick left the bucket full (`burst` tokens); absent before the first. */
  readonly full?: boolean;
}

/** A rate limit, resolved. */
export interface BucketLimit {
  /** Tokens per second. */
  readonly perSecond: number;
  /** The bucket's size. */
  readonly burst: number;
}

/**
 * How many tokens to add at time `now` to a bucket that holds `depth`, and the next state.
 * `tickMs` is the refiller's shortest interval between ticks: after a tick that left the bucket
 * full, at most that much time accrues (see the module documentation).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { refill } from "./bucket.ts";
 *
 * const limit = { perSecond: 20, burst: 20 };
 * // 100 ms at 20 a second: 2 tokens
 * assertEquals(refill({ carry: 0, at: 0 }, 100, 0, limit, 100).add, 2);
 * // a full bucket takes none, and keeps no debt
 * const full = refill({ carry: 0, at: 0 }, 5000, 20, limit, 100);
 * assertEquals(full.add, 0);
 * // emptied within the second before the next look: one tick's worth, not a second's
 * assertEquals(refill(full.state, 6000, 0, limit, 100).add, 2);
 * ```
 */
export function refill(
  state: BucketState,
  now: number,
  depth: number,
  limit: BucketLimit,
  tickMs: number,
): { add: number; state: BucketState } {
  const gap = Math.max(0, now - state.at);
  const elapsed = state.full === true ? Math.min(gap, tickMs) : gap;
  const room = Math.max(0, limit.burst - depth);
  const accrued = state.carry + (elapsed / 1000) * limit.perSecond;
  const add = Math.min(room, Math.floor(accrued));
  // A full bucket loses what overflows, fractions included.
  const full = add >= room;
  const carry = full ? 0 : accrued - add;
  return { add, state: { carry, at: now, full } };
}
