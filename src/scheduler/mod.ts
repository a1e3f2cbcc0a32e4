/**
 * Periodic tasks: schedules of a catalog's tasks (a cron expression in a time zone, or a fixed
 * interval), run by a {@linkcode Scheduler}. Any number of schedulers may run; exactly one is
 * active at a time, elected through the broker, and the last fire of each schedule is kept in
 * the broker too, so a new active scheduler knows what was missed. A scheduler that closes hands
 * the lead over, and the next one makes every fire of the gap; after an outage, each schedule's
 * `missed` policy applies. Fires are mandatory: one the broker refuses is tried again. Kept apart from the main
 * entry point because it brings a cron library (croner) that producers and workers do not need.
 *
 * @example Check schedules and compute their fire times (no broker needed)
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { z } from "zod";
 * import { defineCatalog, defineTask } from "../../mod.ts";
 * import { fireId, nextFire, resolveSchedules, type Schedule } from "./mod.ts";
 *
 * const catalog = defineCatalog(
 *   defineTask({ name: "report", schema: z.object({ day: z.string().optional() }) }),
 * );
 * const schedules: Schedule<typeof catalog>[] = [
 *   { name: "nightly", task: "report", payload: {}, cron: "0 2 * * *", tz: "Europe/Berlin" },
 *   { name: "tick", task: "report", payload: {}, every: 1_000, missed: "once" },
 * ];
 * const [nightly] = resolveSchedules(catalog, schedules);
 * const next = nextFire(nightly!, Date.parse("2026-01-15T12:00:00Z"));
 * assertEquals(new Date(next!).toISOString(), "2026-01-16T01:00:00.000Z"); // 02:00 CET
 * assertEquals(fireId("nightly", next!), "nightly@2026-01-16T01:00:00.000Z");
 * ```
 *
 * @example Run them (needs RabbitMQ on localhost)
 * ```ts ignore
 * import { catalog } from "../../tasks/mod.ts";
 * import { Scheduler } from "./mod.ts";
 *
 * const scheduler = await Scheduler.start(catalog, [
 *   { name: "tick", task: "sleep", payload: { ms: 1 }, every: 1_000 },
 * ], { queue: "task_queue" });
 * scheduler.on("schedule.fired", (event) => console.log(event.id));
 * Deno.addSignalListener("SIGTERM", () => scheduler.close());
 * await scheduler.closed;
 * ```
 *
 * @module
 */
export { DEFAULT_ELECTION_INTERVAL_MS, Scheduler, type SchedulerOptions } from "./scheduler.ts";
export {
  type CronTimes,
  describeTiming,
  fireId,
  MISSED_POLICIES,
  missedFires,
  type MissedPolicy,
  nextFire,
  type ResolvedSchedule,
  resolveSchedule,
  resolveSchedules,
  type Schedule,
  type ScheduleTiming,
} from "./schedule.ts";
export {
  type CatchUp,
  catchUp,
  DEFAULT_HANDOVER_WINDOW_MS,
  firesBetween,
  type GapKind,
  gapKind,
  MAX_BACKLOG,
  retryDelay,
} from "./fire_plan.ts";
export type {
  ScheduleFired,
  ScheduleMissed,
  ScheduleRefused,
  SchedulerEvent,
  SchedulerFollowing,
  SchedulerHandover,
  SchedulerLeading,
  SchedulerStandby,
  SchedulerStopped,
} from "./events.ts";
export type {
  HandoverRecord,
  RefusedFire,
  ScheduleRecord,
  ScheduleSnapshot,
  SnapshotExtras,
} from "./state.ts";
