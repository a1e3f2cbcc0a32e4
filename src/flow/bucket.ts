/**
 * The token bucket's arithmetic, pure: how many tokens the refiller adds at a tick, given the
 * time since the last one and how many tokens the bucket (`Q.tokens.<task>`) holds. Tokens
 * accrue at `perSecond`; what would overflow the bucket's `burst` is lost, as in any token
 * bucket, so a quiet time gives at most `burst` tasks at once.
 *
 * @module
 */

/** What the refiller carries from one tick to the next. */
export interface BucketState {
  /** The fraction of a token accrued and not yet added. */
  readonly carry: number;
  /** When the last tick was (milliseconds, any clock). */
  readonly at: number;
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
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { refill } from "./bucket.ts";
 *
 * const limit = { perSecond: 20, burst: 20 };
 * // 100 ms at 20 a second: 2 tokens
 * assertEquals(refill({ carry: 0, at: 0 }, 100, 0, limit).add, 2);
 * // a full bucket takes none, and keeps no debt
 * assertEquals(refill({ carry: 0, at: 0 }, 5000, 20, limit).add, 0);
 * ```
 */
export function refill(
  state: BucketState,
  now: number,
  depth: number,
  limit: BucketLimit,
): { add: number; state: BucketState } {
  const elapsed = Math.max(0, now - state.at);
  const room = Math.max(0, limit.burst - depth);
  const accrued = state.carry + (elapsed / 1000) * limit.perSecond;
  const add = Math.min(room, Math.floor(accrued));
  // A full bucket loses what overflows: keep at most the fraction of one token.
  const carry = add >= room ? Math.min(accrued - add, 1) : accrued - add;
  return { add, state: { carry, at: now } };
}
