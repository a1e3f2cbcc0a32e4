/**
 * What a new leader needs, kept in the broker: a snapshot of the schedules and of the last fire
 * of each, the only message of the durable queue `Q.schedules` (`x-max-length` 1, drop-head: a
 * new snapshot replaces the old). It is read by a `basic.get` given back at once, and written
 * (confirmed) after each fire, after each refused fire, when a scheduler takes the lead, and when
 * it hands the lead over (then it says so: `handover`, by whom and when). The snapshot is a
 * public, versioned JSON format, read by `admin.ts schedules` too; fields added to version 1 are
 * optional, and a reader ignores what it does not know.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { BrokerFeatures } from "../broker/features.ts";
import type { Link } from "../broker/link.ts";
import type { QueueNames, QueueType } from "../broker/topology.ts";
import type { Options } from "../deps/amqplib.ts";
import type { MissedPolicy, ResolvedSchedule } from "./schedule.ts";

/** One schedule in a snapshot. */
export interface ScheduleRecord {
  /** The task it enqueues. */
  readonly task: string;
  /** Its cron expression, if it has one. */
  readonly cron?: string;
  /** The time zone of the cron expression. */
  readonly tz?: string;
  /** Its interval in milliseconds, if it has one. */
  readonly every?: number;
  /** What it does about missed fires. */
  readonly missed: MissedPolicy;
  /** When it last fired (ISO 8601 UTC), if it ever did. */
  readonly lastFire?: string;
  /** The fire the broker refuses, while it is being tried again. */
  readonly refused?: RefusedFire;
}

/** A fire the broker refused (returned as unroutable, or nacked), tried again with its id. */
export interface RefusedFire {
  /** The fire's id, `<schedule>@<fire time>`. */
  readonly id: string;
  /** Why it was refused: `unroutable` (no queue of that name), `nacked`, `too-large`, `invalid`. */
  readonly reason: string;
  /** How many times it was tried. */
  readonly attempts: number;
  /** When it was first refused (ISO 8601). */
  readonly since: string;
}

/** A lead handed over on purpose: the scheduler that closed, and when. */
export interface HandoverRecord {
  /** The id of the scheduler that handed the lead over. */
  readonly by: string;
  /** When (ISO 8601). */
  readonly at: string;
}

/** The snapshot: format version 1. */
export interface ScheduleSnapshot {
  /** Always 1. */
  readonly version: 1;
  /** The id of the scheduler that wrote it (the leader then). */
  readonly leader: string;
  /** When that scheduler took the lead (ISO 8601). */
  readonly leaderSince: string;
  /** When the snapshot was written (ISO 8601). */
  readonly written: string;
  /**
   * Set when the leader wrote it as it handed the lead over: the next leader then makes every
   * fire due since each schedule's last one, whatever `missed` says.
   */
  readonly handover?: HandoverRecord;
  /** The schedules by name. */
  readonly schedules: Readonly<Record<string, ScheduleRecord>>;
}

/** How to declare the state queue: one message at most, a new one pushing the old out. */
export function stateQueueOptions(type: QueueType, features: BrokerFeatures): Options.AssertQueue {
  const args: Record<string, unknown> = { "x-max-length": 1, "x-overflow": "drop-head" };
  if (type === "quorum") {
    args["x-queue-type"] = "quorum";
    // Each read gives the snapshot back with a nack, which RabbitMQ 4 counts as a delivery.
    if (features.quorumDeliveryLimit) args["x-delivery-limit"] = -1;
  }
  return { durable: true, arguments: args };
}

/** What else a snapshot says, besides the schedules and their last fires. */
export interface SnapshotExtras {
  /** The fires being tried again, by schedule name. */
  readonly refused?: ReadonlyMap<string, RefusedFire>;
  /** Set when the leader hands the lead over. */
  readonly handover?: HandoverRecord;
}

/** The snapshot of `schedules`, with their last fires. */
export function snapshotOf(
  schedules: readonly ResolvedSchedule[],
  lastFires: ReadonlyMap<string, number>,
  leader: { readonly id: string; readonly since: number },
  extras: SnapshotExtras = {},
): ScheduleSnapshot {
  const records: Record<string, ScheduleRecord> = {};
  for (const schedule of schedules) {
    const { timing } = schedule;
    const last = lastFires.get(schedule.name);
    const refused = extras.refused?.get(schedule.name);
    records[schedule.name] = {
      task: schedule.task,
      ...(timing.kind === "cron" ? { cron: timing.cron, tz: timing.tz } : { every: timing.every }),
      missed: schedule.missed,
      ...(last === undefined ? {} : { lastFire: new Date(last).toISOString() }),
      ...(refused === undefined ? {} : { refused }),
    };
  }
  return {
    version: 1,
    leader: leader.id,
    leaderSince: new Date(leader.since).toISOString(),
    written: new Date().toISOString(),
    ...(extras.handover === undefined ? {} : { handover: extras.handover }),
    schedules: records,
  };
}

/** The time of the handover `snapshot` records (epoch ms), if it records a readable one. */
export function handoverOf(snapshot: ScheduleSnapshot | undefined): number | undefined {
  const at = snapshot?.handover?.at;
  const time = typeof at === "string" ? Date.parse(at) : NaN;
  return Number.isFinite(time) ? time : undefined;
}

/** The largest snapshot read, in bytes (a thousand schedules take about 300 KB). */
export const MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024;

/** A snapshot read from its JSON; `undefined` for anything else (or anything too large). */
export function decodeSnapshot(body: Uint8Array): ScheduleSnapshot | undefined {
  if (body.byteLength > MAX_SNAPSHOT_BYTES) return undefined;
  try {
    const value = JSON.parse(new TextDecoder().decode(body)) as Partial<ScheduleSnapshot>;
    if (
      value?.version !== 1 || typeof value.schedules !== "object" || value.schedules === null ||
      Array.isArray(value.schedules) || typeof value.leader !== "string" ||
      typeof value.written !== "string"
    ) {
      return undefined;
    }
    if (
      value.handover !== undefined &&
      (typeof value.handover !== "object" || value.handover === null ||
        typeof value.handover.by !== "string" || typeof value.handover.at !== "string")
    ) {
      const { handover: _, ...rest } = value;
      return rest as ScheduleSnapshot;
    }
    return value as ScheduleSnapshot;
  } catch {
    return undefined;
  }
}

/** The last fire of each schedule in `snapshot`, in epoch ms. */
export function lastFiresOf(snapshot: ScheduleSnapshot | undefined): Map<string, number> {
  const fires = new Map<string, number>();
  for (const [name, record] of Object.entries(snapshot?.schedules ?? {})) {
    const last: unknown = (record as Partial<ScheduleRecord> | null)?.lastFire;
    const time = typeof last === "string" ? Date.parse(last) : NaN;
    if (Number.isFinite(time)) fires.set(name, time);
  }
  return fires;
}

/** How many messages a read looks at, at most (the queue holds one but for brief races). */
const MAX_READ = 10;

/**
 * Reads the snapshot in `names.schedules` and gives it back; `undefined` when there is none.
 * While a reader holds the snapshot, a newer one may arrive behind it, and the old one goes
 * back in front when given back, until the next write pushes it out: so the reader takes what
 * is there and keeps the one written last.
 */
export async function readSnapshot(
  link: Link,
  names: QueueNames,
): Promise<ScheduleSnapshot | undefined> {
  const channel = await link.channel({ onClose: "ignore" });
  try {
    let latest: ScheduleSnapshot | undefined;
    for (let i = 0; i < MAX_READ; i++) {
      const message = await channel.get(names.schedules, { noAck: false });
      if (message === false) break;
      const snapshot = decodeSnapshot(message.content);
      if (snapshot && (latest === undefined || snapshot.written > latest.written)) {
        latest = snapshot;
      }
    }
    channel.nackAll(true);
    return latest;
  } catch (err) {
    if ((err as { code?: unknown }).code === 404) return undefined;
    throw err;
  } finally {
    await link.closeChannel(channel);
  }
}

/** The snapshot as a persistent message. */
export function snapshotMessage(snapshot: ScheduleSnapshot): {
  body: Buffer;
  properties: Options.Publish;
} {
  return {
    body: Buffer.from(JSON.stringify(snapshot)),
    properties: { persistent: true, contentType: "application/json", type: "warren.schedules.v1" },
  };
}
