/**
 * The not-before time of a delayed task or a retry (a public contract): the header
 * `x-warren-not-before`, the earliest time the task may start, in milliseconds since the epoch.
 *
 * The delay levels are TTL queues timed by the broker's clock, which may run fast or be
 * stepped: a task can reach its work queue before its delay is over by the wall clock. The
 * header lets the worker check the time itself: a task that comes more than
 * {@linkcode NOT_BEFORE_TOLERANCE_MS} early goes back to the delay levels for the rest of its
 * delay; one that comes less early than that waits the few milliseconds left in the worker.
 *
 * Only messages with a delay carry it (a producer's `delay` or `at`, a worker's retry), so plain
 * tasks pay nothing. Read like every header, as hostile: a value that is not a time is ignored,
 * and so is one further ahead than the longest delay ({@linkcode MAX_DELAY_MS}).
 *
 * @module
 */
import { MAX_DELAY_MS } from "./delays.ts";
import { HEADERS } from "./headers.ts";

export { MAX_DELAY_MS };

/**
 * How early a task may come and still be run without going back to the delay levels: 5 ms. The
 * worker holds such a task for those milliseconds before it starts it, so it never starts
 * early by its own clock.
 */
export const NOT_BEFORE_TOLERANCE_MS = 5;

/** The latest epoch time read as a not-before: the end of JavaScript's dates. */
const LATEST = 8.64e15;

/** The longest text read as a not-before (an ISO 8601 time with a zone is at most ~30). */
const MAX_TEXT = 40;

/**
 * The not-before time a header value says, in epoch milliseconds, or `undefined` when it says
 * none that makes sense: an integer (or a number, rounded up), a string of digits, or an ISO
 * 8601 time; anything else (negative, not finite, too long, another type) is no time at all.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readNotBefore } from "./not_before.ts";
 *
 * assertEquals(readNotBefore(1796040000000), 1796040000000);
 * assertEquals(readNotBefore("2026-12-01T12:00:00Z"), Date.parse("2026-12-01T12:00:00Z"));
 * assertEquals(readNotBefore({ hostile: true }), undefined);
 * ```
 */
export function readNotBefore(value: unknown): number | undefined {
  let time: number;
  if (typeof value === "number") time = Math.ceil(value);
  else if (typeof value === "string" && value.length <= MAX_TEXT) {
    if (/^\d{1,16}$/.test(value)) time = Number(value);
    else if (/^\d{4}-\d{2}-\d{2}T/.test(value)) time = Date.parse(value);
    else return undefined;
  } else return undefined;
  return Number.isSafeInteger(time) && time > 0 && time <= LATEST ? time : undefined;
}

/**
 * The headers that give a copy of a task the not-before time `notBefore` (epoch ms, rounded up
 * to an integer), for the producer's delayed tasks and the worker's retries.
 */
export function notBeforeHeaders(notBefore: number): Record<string, number> {
  return { [HEADERS.notBefore]: Math.ceil(notBefore) };
}
