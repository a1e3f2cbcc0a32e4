/**
 * The units of Warren's delays (a public contract, as the delay levels' names and TTLs follow
 * from them; see `broker/delays.ts`).
 *
 * @module
 */

/** The precision of delays: 100 ms. A delay is rounded up to it, so it is never early. */
export const DELAY_UNIT_MS = 100;

/** How many delay levels there are: enough for a delay of 621 days. */
export const DELAY_LEVELS = 29;

/** The longest delay, in milliseconds: `(2^29 - 1)` units of 100 ms, about 621 days. */
export const MAX_DELAY_MS = (2 ** DELAY_LEVELS - 1) * DELAY_UNIT_MS;

/** How many units of {@linkcode DELAY_UNIT_MS} a delay of `ms` takes, rounded up. */
export function delayUnits(ms: number): number {
  return ms <= 0 ? 0 : Math.ceil(ms / DELAY_UNIT_MS);
}
