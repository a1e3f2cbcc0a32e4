/**
 * Schedules: a task of the catalog, its payload, and when it fires (a cron expression, seconds
 * allowed, in a time zone; or a fixed interval), checked once; and the pure arithmetic of fire
 * times: the next one after a moment, and the last one missed in a span.
 *
 * @module
 */
import { checkPublishable } from "../broker/confirmed_publisher.ts";
import { Cron } from "../deps/croner.ts";
import { ConfigError } from "../errors/config_error.ts";
import { describeError } from "../errors/describe.ts";
import type { Catalog, TaskInput, TaskName } from "../task/catalog.ts";
import { prepareTask } from "../task/prepare.ts";
import { validatePayload } from "../task/validation.ts";

/** What a scheduler does with fires it missed (it was down, or another took over): */
export type MissedPolicy = "skip" | "once";

/** The policies of {@linkcode MissedPolicy}. */
export const MISSED_POLICIES: readonly MissedPolicy[] = ["skip", "once"];

/** When a schedule fires and what it does about missed fires. */
export interface ScheduleTiming {
  /**
   * A cron expression: 5 fields (minute first), or 6 with seconds first; not with `every`.
   * @default {none}
   */
  readonly cron?: string;
  /**
   * The time zone of `cron` (an IANA name, `Europe/Berlin`).
   * @default {"UTC"}
   */
  readonly tz?: string;
  /**
   * A fixed interval in milliseconds (fires on its multiples since the epoch); not with `cron`.
   * @default {none}
   */
  readonly every?: number;
  /**
   * Fires missed while no scheduler was active: `skip` them, or fire `once` to catch up.
   * @default {"skip"}
   */
  readonly missed?: MissedPolicy;
}

/** A schedule of catalog `C`: its name, a task of the catalog and its payload, and its timing. */
export type Schedule<C extends Catalog> = {
  readonly [N in TaskName<C>]: ScheduleTiming & {
    /** The schedule's name, unique; fires have the id `<name>@<fire time, ISO 8601 UTC>`. */
    readonly name: string;
    /** The task it enqueues. */
    readonly task: N;
    /** The task's payload. */
    readonly payload: TaskInput<C, N>;
  };
}[TaskName<C>];

/** The fire times of a cron expression, as the cron library computes them. */
export interface CronTimes {
  /** The first fire time strictly after `after`, or `null` when there is none. */
  nextRun(after: Date): Date | null;
}

/** A schedule, checked: its payload parsed and its timing resolved. */
export interface ResolvedSchedule {
  /** The schedule's name. */
  readonly name: string;
  /** The task it enqueues. */
  readonly task: string;
  /** The payload as given (the producer side validates it again when it fires). */
  readonly payload: Readonly<Record<string, unknown>>;
  /** How it fires. */
  readonly timing:
    | { readonly kind: "cron"; readonly cron: string; readonly tz: string; readonly job: CronTimes }
    | { readonly kind: "every"; readonly every: number };
  /** What it does about missed fires. */
  readonly missed: MissedPolicy;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

/** Whether `tz` is a time zone this runtime knows. */
function knownZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks one schedule against `catalog`; `where` names it in errors (`schedule 'tick'`). A bad
 * field is a `ConfigError` naming it.
 */
export function resolveSchedule(
  catalog: Catalog,
  schedule:
    & { readonly name: unknown; readonly task: unknown; readonly payload?: unknown }
    & {
      readonly [K in keyof ScheduleTiming]?: unknown;
    },
  where: string,
): ResolvedSchedule {
  const fail = (field: string, message: string) =>
    new ConfigError(`Cannot use ${where}: ${field}: ${message}`);
  const { name, task, payload = {}, cron, tz, every, missed = "skip" } = schedule;
  if (typeof name !== "string" || !NAME.test(name)) {
    throw fail(
      "name",
      "must be 1 to 100 letters, digits, '_', '.', ':' or '-', starting with a letter or digit",
    );
  }
  if (typeof task !== "string" || catalog.get(task) === undefined) {
    throw fail(
      "task",
      `must be a task of the catalog (${catalog.names.join(", ")}): got ${JSON.stringify(task)}`,
    );
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = validatePayload(catalog.get(task)!, payload);
  } catch (err) {
    throw fail("payload", describeError(err));
  }
  // Its fires differ only by their time: if one can be sent, all can.
  let unfit: { readonly message: string } | undefined;
  try {
    const sample = prepareTask(catalog, task, parsed as never, { id: fireId(name, 0) });
    unfit = checkPublishable(sample.body, sample.properties);
  } catch (err) {
    unfit = { message: describeError(err) };
  }
  if (unfit) throw fail("payload", `its fires cannot be published: ${unfit.message}`);
  if (!MISSED_POLICIES.includes(missed as MissedPolicy)) {
    throw fail(
      "missed",
      `must be one of ${MISSED_POLICIES.join(", ")}: got ${JSON.stringify(missed)}`,
    );
  }
  if ((cron === undefined) === (every === undefined)) {
    throw fail("cron", "give either 'cron' or 'every', not both and not neither");
  }
  let timing: ResolvedSchedule["timing"];
  if (cron !== undefined) {
    const zone = tz ?? "UTC";
    if (typeof zone !== "string" || !knownZone(zone)) {
      throw fail("tz", `unknown time zone ${JSON.stringify(zone)}`);
    }
    if (typeof cron !== "string") throw fail("cron", "must be a string such as '0 2 * * *'");
    let job: CronTimes;
    try {
      job = new Cron(cron, { timezone: zone, paused: true });
    } catch (err) {
      throw fail("cron", describeError(err));
    }
    timing = { kind: "cron", cron, tz: zone, job };
  } else {
    if (tz !== undefined) throw fail("tz", "goes with 'cron' only");
    if (
      typeof every !== "number" || !Number.isFinite(every) || every < 1_000 || every % 1_000 !== 0
    ) {
      throw fail(
        "every",
        `must be a whole number of seconds, 1 s or more: got ${JSON.stringify(every)} ms`,
      );
    }
    timing = { kind: "every", every };
  }
  return { name, task, payload: parsed, timing, missed: missed as MissedPolicy };
}

/**
 * Checks every schedule of `schedules` against `catalog`: each as {@linkcode resolveSchedule},
 * and their names unique.
 */
export function resolveSchedules<C extends Catalog>(
  catalog: C,
  schedules: readonly Schedule<C>[],
): ResolvedSchedule[] {
  const seen = new Set<string>();
  return schedules.map((schedule, i) => {
    const resolved = resolveSchedule(
      catalog,
      schedule,
      `schedule ${i + 1} (${JSON.stringify(schedule.name)})`,
    );
    if (seen.has(resolved.name)) {
      throw new ConfigError(`Cannot use schedule ${i + 1}: name: '${resolved.name}' is used twice`);
    }
    seen.add(resolved.name);
    return resolved;
  });
}

/** The first fire of `schedule` strictly after `after` (epoch ms); `undefined` if none. */
export function nextFire(schedule: ResolvedSchedule, after: number): number | undefined {
  const { timing } = schedule;
  if (timing.kind === "every") return (Math.floor(after / timing.every) + 1) * timing.every;
  return timing.job.nextRun(new Date(after))?.getTime();
}

/** How many fire times a catch-up looks at, at most, to find the latest missed one. */
const MAX_STEPS = 100_000;

/**
 * The latest fire of `schedule` in `(after, until]` (epoch ms), and how many fires that span
 * holds (at least, when it holds more than {@linkcode MAX_STEPS}); `undefined` when none.
 *
 * @example
 * ```ts
 * import { defineCatalog, defineTask } from "../../mod.ts";
 * import { z } from "zod";
 * import { missedFires, resolveSchedule } from "./schedule.ts";
 *
 * const catalog = defineCatalog(defineTask({ name: "tick", schema: z.object({}) }));
 * const tick = resolveSchedule(catalog, { name: "tick", task: "tick", every: 1_000 }, "tick");
 * missedFires(tick, 10_000, 13_500); // { latest: 13000, count: 3 }
 * ```
 */
export function missedFires(
  schedule: ResolvedSchedule,
  after: number,
  until: number,
): { latest: number; count: number } | undefined {
  const { timing } = schedule;
  if (timing.kind === "every") {
    const latest = Math.floor(until / timing.every) * timing.every;
    if (latest <= after) return undefined;
    return {
      latest,
      count: Math.round((latest - Math.floor(after / timing.every) * timing.every) / timing.every),
    };
  }
  let latest: number | undefined;
  let count = 0;
  for (let t = nextFire(schedule, after); t !== undefined && t <= until && count < MAX_STEPS;) {
    latest = t;
    count++;
    t = nextFire(schedule, t);
  }
  return latest === undefined ? undefined : { latest, count };
}

/** A schedule's timing in words: `cron 0 2 * * * (Europe/Berlin)`, `every 1s`. */
export function describeTiming(schedule: ResolvedSchedule): string {
  const { timing } = schedule;
  return timing.kind === "cron"
    ? `cron ${timing.cron} (${timing.tz})`
    : `every ${timing.every / 1000}s`;
}

/** The id of the fire of `schedule` at `time`: `<name>@<ISO 8601 UTC>`. */
export function fireId(schedule: string, time: number): string {
  return `${schedule}@${new Date(time).toISOString()}`;
}
