/**
 * The schedules as the broker knows them: the state snapshot the active scheduler writes (each
 * schedule, its last fire), its next fire, and whether a scheduler holds the lead now.
 *
 * @module
 */
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import { Cron } from "../deps/croner.ts";
import {
  type HandoverRecord,
  readSnapshot,
  type RefusedFire,
  type ScheduleRecord,
} from "../scheduler/state.ts";

/** One schedule as `admin.ts schedules` shows it. */
export interface ScheduleRow {
  /** The schedule's name. */
  readonly name: string;
  /** The task it enqueues. */
  readonly task: string;
  /** When it fires, in words (`cron 0 2 * * * (Europe/Berlin)`, `every 1s`). */
  readonly timing: string;
  /** What it does about missed fires. */
  readonly missed: string;
  /** Its last fire (ISO 8601), or `null`. */
  readonly lastFire: string | null;
  /** Its next fire (ISO 8601), or `null` when it has none. */
  readonly nextFire: string | null;
  /** The fire the broker refuses (no queue, or a nack) and the scheduler tries again, or `null`. */
  readonly refused: RefusedFire | null;
}

/** The schedules of a work queue, and who runs them. */
export interface SchedulesReport {
  /** The work queue. */
  readonly queue: string;
  /** Whether a scheduler holds the lead now. */
  readonly active: boolean;
  /** The id of the scheduler that wrote the state last (the leader then), or `null`. */
  readonly leader: string | null;
  /** Since when that scheduler leads (ISO 8601), or `null`. */
  readonly leaderSince: string | null;
  /** When the state was written last (ISO 8601), or `null`. */
  readonly written: string | null;
  /** The handover the state records (the last leader stopped on purpose), or `null`. */
  readonly handover: HandoverRecord | null;
  /** The schedules, by name. */
  readonly schedules: readonly ScheduleRow[];
}

/** The first fire of `record` after `after` (epoch ms); `undefined` if none. */
export function nextFireOf(record: ScheduleRecord, after: number): number | undefined {
  if (record.every !== undefined) return (Math.floor(after / record.every) + 1) * record.every;
  if (record.cron === undefined) return undefined;
  try {
    return new Cron(record.cron, { timezone: record.tz ?? "UTC", paused: true })
      .nextRun(new Date(after))?.getTime();
  } catch {
    return undefined;
  }
}

/** The refused fire `record` reports, if it reports a readable one. */
function refusedOf(record: ScheduleRecord): RefusedFire | null {
  const refused: Partial<RefusedFire> | undefined = record.refused;
  if (
    typeof refused?.id !== "string" || typeof refused.reason !== "string" ||
    typeof refused.attempts !== "number" || typeof refused.since !== "string"
  ) {
    return null;
  }
  const { id, reason, attempts, since } = refused;
  return { id: id.slice(0, 200), reason: reason.slice(0, 40), attempts, since: since.slice(0, 40) };
}

/** Whether a connection holds the exclusive queue `name` (404: nobody; 405: somebody). */
async function held(link: Link, name: string): Promise<boolean> {
  const channel = await link.channel({ onClose: "ignore" });
  try {
    await channel.checkQueue(name);
    return true;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 404) return false;
    if (code === 405) return true;
    throw err;
  } finally {
    await link.closeChannel(channel);
  }
}

/** Reads the schedules of the work queue `names` and whether a scheduler is active. */
export async function readSchedules(link: Link, names: QueueNames): Promise<SchedulesReport> {
  const [snapshot, active] = await Promise.all([
    readSnapshot(link, names),
    held(link, names.scheduler),
  ]);
  const now = Date.now();
  const schedules = Object.entries(snapshot?.schedules ?? {}).map(([name, record]) => {
    const next = nextFireOf(record, now);
    return {
      name,
      task: record.task,
      timing: record.every !== undefined
        ? `every ${record.every / 1000}s`
        : `cron ${record.cron} (${record.tz ?? "UTC"})`,
      missed: record.missed,
      lastFire: record.lastFire ?? null,
      nextFire: next === undefined ? null : new Date(next).toISOString(),
      refused: refusedOf(record),
    };
  });
  return {
    queue: names.main,
    active,
    leader: snapshot?.leader ?? null,
    leaderSince: snapshot?.leaderSince ?? null,
    written: snapshot?.written ?? null,
    handover: snapshot?.handover ?? null,
    schedules,
  };
}
