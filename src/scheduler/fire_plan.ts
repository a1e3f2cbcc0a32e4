/**
 * Which fires a leader makes, and when: pure decisions, apart from the broker.
 *
 * - A new leader looks at the gap since each schedule's last recorded fire. When the last
 *   leader handed the lead over on purpose (the snapshot says so) and the new one took it within
 *   the handover window, the gap is a `handover`: every fire that fell due in it is made, whatever
 *   the schedule's `missed` policy says. Otherwise it is an `outage`, and `missed` decides (`skip`
 *   them, or fire the latest `once`).
 * - A leader keeps, per schedule, the fires due and not yet made, oldest first; at most
 *   {@linkcode MAX_BACKLOG} (a fire refused for a long time does not pile up without end: the
 *   oldest beyond that are skipped, and reported).
 * - A fire the broker refused (returned as unroutable, or nacked) is tried again, with the same
 *   id, after {@linkcode retryDelay}.
 *
 * @module
 */
import { missedFires, nextFire, type ResolvedSchedule } from "./schedule.ts";

/** What a gap between two leaders was: a lead handed over on purpose, or an outage. */
export type GapKind = "handover" | "outage";

/** The most fires one schedule holds back at once (a catch-up, or fires behind a refused one). */
export const MAX_BACKLOG = 100;

/** How many fire times one call looks at, at most (a cron expression with seconds, say). */
const MAX_STEPS = 100_000;

/** Default of the handover window: how long after a handover the gap still counts as one. */
export const DEFAULT_HANDOVER_WINDOW_MS = 30_000;

/**
 * What the gap before a new leader was: a `handover` when the snapshot records one (`handover`,
 * its time in epoch ms) no longer than `window` ms before `now`; an `outage` otherwise.
 */
export function gapKind(handover: number | undefined, now: number, window: number): GapKind {
  return handover !== undefined && now - handover <= window && handover <= now + window
    ? "handover"
    : "outage";
}

/**
 * The fire times of `schedule` in `(after, until]`, oldest first: at most `limit`, the latest
 * ones when there are more; `skipped` counts the older ones left out.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { z } from "zod";
 * import { defineCatalog, defineTask } from "../../mod.ts";
 * import { resolveSchedule } from "./schedule.ts";
 * import { firesBetween } from "./fire_plan.ts";
 *
 * const catalog = defineCatalog(defineTask({ name: "tick", schema: z.object({}) }));
 * const tick = resolveSchedule(catalog, { name: "tick", task: "tick", every: 1_000 }, "tick");
 * assertEquals(firesBetween(tick, 10_000, 13_500), { times: [11_000, 12_000, 13_000], skipped: 0 });
 * assertEquals(firesBetween(tick, 10_000, 13_500, 1), { times: [13_000], skipped: 2 });
 * ```
 */
export function firesBetween(
  schedule: ResolvedSchedule,
  after: number,
  until: number,
  limit: number = MAX_BACKLOG,
): { times: number[]; skipped: number } {
  const { timing } = schedule;
  if (timing.kind === "every") {
    const first = (Math.floor(after / timing.every) + 1) * timing.every;
    if (first > until) return { times: [], skipped: 0 };
    const count = Math.floor((until - first) / timing.every) + 1;
    const kept = Math.min(count, limit);
    const times: number[] = [];
    for (let i = count - kept; i < count; i++) times.push(first + i * timing.every);
    return { times, skipped: count - kept };
  }
  const times: number[] = [];
  let skipped = 0;
  let steps = 0;
  for (
    let t = nextFire(schedule, after);
    t !== undefined && t <= until;
    t = nextFire(schedule, t)
  ) {
    times.push(t);
    if (times.length > limit) {
      times.shift();
      skipped++;
    }
    if (++steps >= MAX_STEPS) break;
  }
  return { times, skipped };
}

/** What a new leader does about the fires of one schedule since its last recorded one. */
export interface CatchUp {
  /** The fire times to make now, oldest first. */
  readonly fires: readonly number[];
  /** Fires it does not make: how many, and the latest of them (epoch ms). */
  readonly missed?: { readonly count: number; readonly latest: number };
}

/**
 * What a new leader does at `now` about the fires of `schedule` after `last` (its last recorded
 * fire; `undefined` when it never fired: nothing to catch up), given the kind of gap. After a
 * handover: every fire due since `last` (at most {@linkcode MAX_BACKLOG}, the latest; the older
 * ones are reported missed). After an outage: the schedule's `missed` policy.
 */
export function catchUp(
  schedule: ResolvedSchedule,
  last: number | undefined,
  now: number,
  gap: GapKind,
): CatchUp {
  if (last === undefined) return { fires: [] };
  if (gap === "handover") {
    const { times, skipped } = firesBetween(schedule, last, now);
    if (skipped === 0) return { fires: times };
    const older = firesBetween(schedule, last, times[0]! - 1, 1);
    return { fires: times, missed: { count: skipped, latest: older.times[0] ?? last } };
  }
  const missed = missedFires(schedule, last, now);
  if (missed === undefined) return { fires: [] };
  return { fires: schedule.missed === "once" ? [missed.latest] : [], missed };
}

/** Default of the first retry delay of a refused fire, in milliseconds. */
export const FIRST_RETRY_MS = 500;

/** The longest wait between two tries of a refused fire, in milliseconds. */
export const MAX_RETRY_MS = 30_000;

/**
 * How long to wait before trying a refused fire again, after `attempts` tries: 0.5 s, doubling
 * each time, at most 30 s.
 */
export function retryDelay(attempts: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, Math.min(attempts - 1, 16)));
}
