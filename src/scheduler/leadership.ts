/**
 * One term of the lead: what the active scheduler does from the moment it holds `Q.scheduler`
 * until its link goes or it is told to stop.
 *
 * 1. It reads the state snapshot and decides, per schedule, what to do about the fires since the
 *    last recorded one (`fire_plan.ts`: all of them after a handover; `missed` after an outage).
 * 2. It fires each schedule's fires as they fall due, in order, each published through the one
 *    confirmed-publish path (`ConfirmedPublisher`: `mandatory`, returns and nacks handled, sizes
 *    checked) with the id `<schedule>@<fire time>`, and records each in the snapshot once
 *    confirmed. A fire the broker refuses (no queue: returned; or nacked) is reported and tried
 *    again with the same id after a backoff; the schedule's later fires wait behind it (at most
 *    `MAX_BACKLOG`), the other schedules go on.
 * 3. Told to stop, it finishes the fire in flight, records a handover in the snapshot (by whom,
 *    when, each last fire), frees `Q.scheduler` and wakes a standby (`election.ts`).
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { ConfirmedPublisher } from "../broker/confirmed_publisher.ts";
import type { Link } from "../broker/link.ts";
import type { QueueNames } from "../broker/topology.ts";
import type { Options } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import { PublishError } from "../errors/publish_error.ts";
import { enqueuedEvent } from "../history/enqueued.ts";
import type { Catalog } from "../task/catalog.ts";
import { prepareTask } from "../task/prepare.ts";
import { pause } from "../util/deadline.ts";
import type { Logger } from "../util/logger.ts";
import { encodeEvent } from "../wire/events.ts";
import { releaseLead } from "./election.ts";
import type { SchedulerEvent } from "./events.ts";
import { catchUp, firesBetween, gapKind, MAX_BACKLOG, retryDelay } from "./fire_plan.ts";
import { fireId, nextFire, type ResolvedSchedule } from "./schedule.ts";
import {
  handoverOf,
  lastFiresOf,
  readSnapshot,
  type RefusedFire,
  type ScheduleSnapshot,
  type SnapshotExtras,
  snapshotMessage,
  snapshotOf,
} from "./state.ts";

/** What a term of the lead needs from its scheduler. */
export interface LeadershipContext {
  /** The link that holds `Q.scheduler`. */
  readonly link: Link;
  /** The scheduler's id. */
  readonly id: string;
  /** The work queue's names. */
  readonly names: QueueNames;
  /** How the state queue is declared (again, if a save finds it gone). */
  readonly stateQueue: Options.AssertQueue;
  /** The catalog of the schedules' tasks. */
  readonly catalog: Catalog;
  /** The schedules. */
  readonly schedules: readonly ResolvedSchedule[];
  /** Whether each fire writes an `enqueued` event to the history. */
  readonly history: boolean;
  /** How long after a handover a new leader still counts the gap as one, in milliseconds. */
  readonly handoverWindow: number;
  /**
   * What this scheduler's terms on this link fired: the last fire of each schedule, updated as
   * the term fires; and whether an earlier term on the link ended with the link (and so
   * `Q.scheduler`) still held. Then nobody else fired since: the gap counts as a handover, and a
   * fire confirmed but not yet recorded in the state is not made again.
   */
  readonly term: { readonly lastFires: Map<string, number>; readonly resumed: boolean };
  /** Aborted when the scheduler is told to stop: then it hands over. */
  readonly stop: AbortSignal;
  /** Hears every event. */
  readonly report: (event: SchedulerEvent) => void;
  /** The logger, for what is not an event. */
  readonly logger: Logger;
}

/** Publishes `body` to `queue`, mandatory; resolves once confirmed, rejects with a `PublishError`. */
type PublishFn = (queue: string, body: Buffer, properties: Options.Publish) => Promise<void>;

/** How many times a new leader reads the state before it takes "none" for an answer. */
const STATE_READS = 4;

/** A refused fire being tried again: the state's record, and when to try next (epoch ms). */
interface Retry extends RefusedFire {
  readonly retryAt: number;
}

/**
 * Whether a failed publish was refused (returned, nacked, or found unfit to send: reported and
 * tried again), rather than cut off with its channel (`closed`, `timeout`: the lead is lost).
 */
function isRefusal(err: unknown): err is PublishError {
  return err instanceof PublishError && err.reason !== "closed" && err.reason !== "timeout";
}

/**
 * Reads the snapshot; when there is none, reads again a few times: a reader (a standby, or
 * `admin.ts schedules`) holds it for a moment while it reads, and a new leader that found no
 * snapshot would not know the last fires.
 */
async function readState(link: Link, names: QueueNames): Promise<ScheduleSnapshot | undefined> {
  for (let i = 1;; i++) {
    const snapshot = await readSnapshot(link, names);
    if (snapshot !== undefined || i >= STATE_READS) return snapshot;
    await pause(50 * i);
  }
}

/** Runs one term of the lead on `context.link`; see the module documentation. */
export async function lead(context: LeadershipContext): Promise<void> {
  const publisher = await ConfirmedPublisher.open(context.link, { onClose: "ignore" });
  try {
    await new Leadership(
      context,
      (queue, body, properties) => publisher.publish(queue, body, properties),
    ).run();
  } finally {
    await context.link.closeChannel(publisher.channel);
  }
}

class Leadership {
  readonly #c: LeadershipContext;
  readonly #publish: PublishFn;
  readonly #since = Date.now();
  /** The last confirmed fire of each schedule. */
  #lastFires = new Map<string, number>();
  /** Each schedule's fires due and not yet made, oldest first. */
  readonly #backlog = new Map<string, number[]>();
  /** Until when each schedule's fire times were put in its backlog (epoch ms). */
  readonly #cursor = new Map<string, number>();
  readonly #retries = new Map<string, Retry>();
  /** Fires whose history event is written (a retry does not write it again). */
  readonly #recorded = new Set<string>();

  constructor(context: LeadershipContext, publish: PublishFn) {
    this.#c = context;
    this.#publish = publish;
  }

  async run(): Promise<void> {
    const { link, names, schedules, stop } = this.#c;
    const snapshot = await readState(link, names);
    this.#lastFires = lastFiresOf(snapshot);
    const { term } = this.#c;
    for (const [name, at] of term.lastFires) {
      if (at > (this.#lastFires.get(name) ?? -Infinity)) this.#lastFires.set(name, at);
    }
    const now = Date.now();
    const gap = term.resumed
      ? "handover"
      : gapKind(handoverOf(snapshot), now, this.#c.handoverWindow);
    for (const schedule of schedules) {
      const plan = catchUp(schedule, this.#lastFires.get(schedule.name), now, gap);
      if (plan.missed) this.#missed(schedule, plan.missed, gap);
      this.#backlog.set(schedule.name, [...plan.fires]);
      // A schedule that never fired starts when the term did: a fire due while the state was
      // read is made, not passed over.
      const last = this.#lastFires.get(schedule.name);
      this.#cursor.set(schedule.name, last === undefined ? Math.min(this.#since, now) : now);
    }
    await this.#save();
    while (!stop.aborted && link.live) {
      await this.#fireDue();
      const wait = this.#nextWake() - Date.now();
      // In short steps, so that a lost link is noticed within a step (a stop, at once).
      if (wait > 0) await pause(Math.min(wait, 250), stop);
    }
    if (stop.aborted && link.live) await this.#handOver();
  }

  /** Puts what fell due in each backlog, then fires what each schedule may fire now. */
  async #fireDue(): Promise<void> {
    const now = Date.now();
    for (const schedule of this.#c.schedules) {
      const backlog = this.#backlog.get(schedule.name)!;
      const { times } = firesBetween(schedule, this.#cursor.get(schedule.name)!, now);
      backlog.push(...times);
      this.#cursor.set(schedule.name, now);
      if (backlog.length > MAX_BACKLOG) {
        const dropped = backlog.splice(0, backlog.length - MAX_BACKLOG);
        this.#missed(schedule, { count: dropped.length, latest: dropped.at(-1)! }, "backlog");
      }
    }
    for (const schedule of this.#c.schedules) {
      const backlog = this.#backlog.get(schedule.name)!;
      const retry = this.#retries.get(schedule.name);
      if (retry && retry.retryAt > Date.now()) continue;
      while (backlog.length > 0 && !this.#c.stop.aborted && this.#c.link.live) {
        if (!await this.#fire(schedule, backlog[0]!)) break;
        backlog.shift();
      }
    }
  }

  /** When the loop has something to do next (epoch ms). */
  #nextWake(): number {
    let soonest = Infinity;
    for (const schedule of this.#c.schedules) {
      const retry = this.#retries.get(schedule.name);
      const at = this.#backlog.get(schedule.name)!.length > 0
        ? (retry?.retryAt ?? 0)
        : nextFire(schedule, this.#cursor.get(schedule.name)!) ?? Infinity;
      soonest = Math.min(soonest, at);
    }
    return soonest;
  }

  /**
   * Fires `schedule` at `at`; true once confirmed and recorded, false when the broker refused
   * it (then it is reported and a retry planned). A lost link rejects.
   */
  async #fire(schedule: ResolvedSchedule, at: number): Promise<boolean> {
    const { catalog, names, history } = this.#c;
    const id = fireId(schedule.name, at);
    const message = prepareTask(catalog, schedule.task, schedule.payload as never, { id });
    const previous = this.#retries.get(schedule.name);
    const attempts = previous?.id === id ? previous.attempts + 1 : 1;
    if (history && !this.#recorded.has(id)) {
      // The history's event first, as a producer writes it (see Producer).
      const event = encodeEvent(enqueuedEvent(message, false));
      try {
        await this.#publish(names.events, event.body, event.properties);
        this.#recorded.add(id);
      } catch (err) {
        if (!isRefusal(err)) throw err;
        this.#c.logger.warn("schedule.history_refused", { id, error: describeError(err) });
      }
    }
    try {
      await this.#publish(names.main, message.body, message.properties);
    } catch (err) {
      if (!isRefusal(err)) throw err;
      const retryIn = retryDelay(attempts);
      this.#retries.set(schedule.name, {
        id,
        reason: err.reason,
        attempts,
        since: previous?.id === id ? previous.since : new Date().toISOString(),
        retryAt: Date.now() + retryIn,
      });
      this.#c.report({
        event: "schedule.refused",
        schedule: schedule.name,
        id,
        reason: err.reason,
        attempts,
        retryIn,
      });
      await this.#save();
      return false;
    }
    this.#recorded.delete(id);
    this.#retries.delete(schedule.name);
    this.#lastFires.set(schedule.name, at);
    this.#c.term.lastFires.set(schedule.name, at);
    this.#c.report({
      event: "schedule.fired",
      schedule: schedule.name,
      task: schedule.task,
      id,
      late: Date.now() - at,
      attempts,
    });
    await this.#save();
    return true;
  }

  #missed(
    schedule: ResolvedSchedule,
    missed: { readonly count: number; readonly latest: number },
    cause: "handover" | "outage" | "backlog",
  ): void {
    this.#c.report({
      event: "schedule.missed",
      schedule: schedule.name,
      count: missed.count,
      policy: schedule.missed,
      latest: new Date(missed.latest).toISOString(),
      cause,
    });
  }

  /** Writes the snapshot, confirmed; declares the state queue again if it was deleted. */
  async #save(extras: Pick<SnapshotExtras, "handover"> = {}): Promise<void> {
    const { names, link, stateQueue, schedules, id } = this.#c;
    const refused = new Map<string, RefusedFire>();
    for (const [name, { retryAt: _, ...record }] of this.#retries) refused.set(name, record);
    const { body, properties } = snapshotMessage(
      snapshotOf(schedules, this.#lastFires, { id, since: this.#since }, { ...extras, refused }),
    );
    try {
      await this.#publish(names.schedules, body, properties);
    } catch (err) {
      if (!(err instanceof PublishError && err.reason === "unroutable")) throw err;
      const channel = await link.channel({ onClose: "ignore" });
      try {
        await channel.assertQueue(names.schedules, stateQueue);
      } finally {
        await link.closeChannel(channel);
      }
      await this.#publish(names.schedules, body, properties);
    }
  }

  /** Records the handover, frees the lead and wakes a standby. */
  async #handOver(): Promise<void> {
    const { link, names, id, logger } = this.#c;
    try {
      await this.#save({ handover: { by: id, at: new Date().toISOString() } });
    } catch (err) {
      // The lead is freed all the same: the next leader then sees an outage.
      logger.warn("scheduler.error", { scheduler: id, error: describeError(err) });
    }
    if (!await releaseLead(link, names, id)) {
      logger.warn("scheduler.wake_lost", {
        scheduler: id,
        detail: `no wake note in ${names.schedulerWake}: a standby takes over at its next try`,
      });
    }
    const lastFires: Record<string, string> = {};
    for (const [name, at] of this.#lastFires) lastFires[name] = new Date(at).toISOString();
    this.#c.report({ event: "scheduler.handover", scheduler: id, lastFires });
  }
}
