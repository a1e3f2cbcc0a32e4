/**
 * The scheduler: enqueues the tasks of its schedules when they are due. Any number of replicas
 * may run; exactly one is active at a time, elected through the broker alone: the active one
 * holds the exclusive queue `Q.scheduler` on its connection. The others try to declare it every
 * `electionInterval` and fail (RESOURCE_LOCKED) until the broker deletes it, which it does as
 * soon as the holder's connection goes (a crash closes its socket; a lost network, its
 * heartbeats). An exclusive queue was chosen over a single-active-consumer queue because it
 * needs no token message to keep, renew or lose, and frees itself with the connection.
 *
 * The active scheduler publishes each fire on that same connection, confirmed, with the id
 * `<schedule>@<fire time, ISO 8601 UTC>`, then records it in the state snapshot
 * (`state.ts`), so a new leader knows the last fires; missed fires follow each schedule's
 * `missed` policy (`skip`, or `once`: one catch-up fire).
 *
 * @module
 */
import { BrokerConnection } from "../broker/connection.ts";
import { declareQueues } from "../broker/declare.ts";
import { brokerFeatures } from "../broker/features.ts";
import type { Link } from "../broker/link.ts";
import {
  type BrokerOptions,
  resolveBrokerOptions,
  type ResolvedBroker,
} from "../broker/options.ts";
import { checkPriority, prioritySupport } from "../broker/priorities.ts";
import { publishConfirmed } from "../broker/publish.ts";
import { enqueuedEvent } from "../history/enqueued.ts";
import { type HistoryOptions, type ResolvedHistory, resolveHistory } from "../history/options.ts";
import { encodeEvent } from "../wire/events.ts";
import { mainQueueOptions, streamOptions } from "../broker/topology.ts";
import type { ConfirmChannel } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import type { Catalog } from "../task/catalog.ts";
import { prepareTask } from "../task/prepare.ts";
import { pause } from "../util/deadline.ts";
import { Emitter } from "../util/emitter.ts";
import { checkNumber } from "../util/numbers.ts";
import { type SchedulerEvent } from "./events.ts";
import {
  fireId,
  missedFires,
  nextFire,
  type ResolvedSchedule,
  resolveSchedules,
  type Schedule,
} from "./schedule.ts";
import {
  lastFiresOf,
  readSnapshot,
  snapshotMessage,
  snapshotOf,
  stateQueueOptions,
} from "./state.ts";

/** Options of {@linkcode Scheduler.start}. */
export interface SchedulerOptions extends BrokerOptions, HistoryOptions {
  /**
   * The scheduler's id, in the state snapshot and the logs.
   * @default {"scheduler-<pid>"}
   */
  id?: string;
  /**
   * How often a replica that is not active tries to take the lead, in milliseconds.
   * @default {1000}
   */
  electionInterval?: number;
  /**
   * The classic work queue's `x-max-priority`, as producers and workers declare it.
   * @default {none}
   */
  maxPriority?: number;
}

/** Default of {@linkcode SchedulerOptions.electionInterval}. */
export const DEFAULT_ELECTION_INTERVAL_MS = 1_000;

/** Whether `err` is RESOURCE_LOCKED: another connection holds the exclusive queue. */
function isLocked(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 405 ||
    describeError(err).includes("RESOURCE_LOCKED");
}

/**
 * Runs schedules; see the module documentation. Start one with {@linkcode Scheduler.start},
 * close it with {@linkcode Scheduler.close}.
 *
 * @example A schedule every night at 02:00 in Berlin, and one every second
 * ```ts ignore
 * import { catalog } from "../../tasks/mod.ts";
 * import { Scheduler } from "./scheduler.ts";
 *
 * const scheduler = await Scheduler.start(catalog, [
 *   { name: "nightly", task: "sum", payload: { start: 1, end: 10 }, cron: "0 2 * * *", tz: "Europe/Berlin", missed: "once" },
 *   { name: "tick", task: "sleep", payload: { ms: 1 }, every: 1_000 },
 * ], { queue: "task_queue" });
 * scheduler.on("schedule.fired", (event) => console.log(event.id));
 * ```
 */
export class Scheduler<C extends Catalog> extends Emitter<SchedulerEvent> {
  readonly #catalog: C;
  readonly #schedules: readonly ResolvedSchedule[];
  readonly #broker: ResolvedBroker;
  readonly #id: string;
  readonly #interval: number;
  readonly #maxPriority: number | undefined;
  readonly #history: ResolvedHistory;
  readonly #stop = new AbortController();
  readonly #closed = Promise.withResolvers<void>();
  #connection: BrokerConnection | undefined;
  #leading = false;
  #loop: Promise<void> | undefined;

  private constructor(catalog: C, schedules: readonly Schedule<C>[], options: SchedulerOptions) {
    super();
    this.#catalog = catalog;
    this.#schedules = resolveSchedules(catalog, schedules);
    this.#broker = resolveBrokerOptions(options);
    this.#id = options.id ?? `scheduler-${Deno.pid}`;
    this.#interval = checkNumber(
      options.electionInterval ?? DEFAULT_ELECTION_INTERVAL_MS,
      "electionInterval",
      "start scheduler",
      { integer: false, min: 10 },
    );
    this.#maxPriority = options.maxPriority;
    this.#history = resolveHistory(options, "start scheduler");
    this.#closed.promise.catch(() => {});
  }

  /** Checks the schedules, connects, and starts taking part in the election. */
  static async start<C extends Catalog>(
    catalog: C,
    schedules: readonly Schedule<C>[],
    options: SchedulerOptions = {},
  ): Promise<Scheduler<C>> {
    const scheduler = new Scheduler(catalog, schedules, options);
    const { urls, logger } = scheduler.#broker;
    scheduler.#connection = await BrokerConnection.open(
      { urls, name: `warren scheduler ${scheduler.#id}`, logger },
      (link) => scheduler.#setup(link),
    );
    scheduler.#connection.onLost(() => scheduler.#follow("the connection was lost"));
    scheduler.#connection.onFailed((err) => scheduler.#closed.reject(err));
    scheduler.#loop = scheduler.#run();
    return scheduler;
  }

  /** The scheduler's id. */
  get id(): string {
    return this.#id;
  }

  /** Whether this replica is the active one. */
  get leading(): boolean {
    return this.#leading;
  }

  /** Resolves when the scheduler has closed; rejects if its connection failed for good. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /** Stops firing and leaves the election (the lead goes to another replica). */
  async close(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    await this.#loop;
    await this.#connection?.close();
    this.#report({ event: "scheduler.stopped", scheduler: this.#id });
    this.#closed.resolve();
  }

  async #setup(link: Link): Promise<void> {
    const { names, queueType, logger } = this.#broker;
    const features = brokerFeatures(link.serverVersion);
    const adopted = await declareQueues(link, [
      [names.main, mainQueueOptions(names, queueType, this.#maxPriority)],
      [names.schedules, stateQueueOptions(queueType, features)],
      ...(this.#history.enabled
        ? [[names.events, streamOptions(this.#history.events)] as const]
        : []),
    ], logger);
    const support = prioritySupport(names.main, queueType, {
      maxPriority: this.#maxPriority,
      features,
      adopted: adopted.has(names.main),
    });
    for (const schedule of this.#schedules) {
      const priority = this.#catalog.get(schedule.task)!.priority;
      if (priority !== undefined) checkPriority(schedule.task, priority, support);
    }
  }

  #report(event: SchedulerEvent): void {
    const { event: name, ...fields } = event;
    const log = this.#broker.logger;
    if (name === "schedule.fired") log.info(name, fields);
    else if (name === "schedule.missed") log.warn(name, fields);
    else log.info(name, fields);
    this.emit(event);
  }

  #follow(reason: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#report({ event: "scheduler.following", scheduler: this.#id, reason });
  }

  /** Tries to take the lead on `link`: declares the exclusive queue, or finds it held. */
  async #tryLead(link: Link): Promise<boolean> {
    const channel = await link.channel({ onClose: "ignore" });
    try {
      await channel.assertQueue(this.#broker.names.scheduler, {
        exclusive: true,
        durable: false,
        autoDelete: false,
      });
      return true;
    } catch (err) {
      if (isLocked(err)) return false;
      throw err;
    } finally {
      await link.closeChannel(channel);
    }
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const link = this.#connection?.link;
      try {
        if (link && await this.#tryLead(link)) {
          await this.#lead(link);
        }
      } catch (err) {
        this.#broker.logger.warn("scheduler.error", {
          scheduler: this.#id,
          error: describeError(err),
        });
      }
      this.#follow(signal.aborted ? "the scheduler is closing" : "the lead was lost");
      await pause(this.#interval, signal);
    }
  }

  /** Fires the schedules while `link` is live and the scheduler open. */
  async #lead(link: Link): Promise<void> {
    const since = Date.now();
    this.#leading = true;
    this.#report({ event: "scheduler.leading", scheduler: this.#id });
    const { names } = this.#broker;
    const lastFires = lastFiresOf(await readSnapshot(link, names));
    const channel = await link.confirmChannel();
    const save = () => {
      const { body, properties } = snapshotMessage(
        snapshotOf(this.#schedules, lastFires, { id: this.#id, since }),
      );
      return publishConfirmed(channel, names.schedules, body, properties);
    };
    try {
      const due = new Map<string, number>();
      const now = Date.now();
      for (const schedule of this.#schedules) {
        const last = lastFires.get(schedule.name);
        const missed = last === undefined ? undefined : missedFires(schedule, last, now);
        if (missed) {
          this.#report({
            event: "schedule.missed",
            schedule: schedule.name,
            count: missed.count,
            policy: schedule.missed,
            latest: new Date(missed.latest).toISOString(),
          });
          if (schedule.missed === "once") {
            await this.#fire(channel, schedule, missed.latest, lastFires);
          }
        }
        const next = nextFire(schedule, now);
        if (next !== undefined) due.set(schedule.name, next);
      }
      await save();
      while (!this.#stop.signal.aborted && link.live && due.size > 0) {
        const soonest = Math.min(...due.values());
        const wait = soonest - Date.now();
        if (wait > 0) {
          // In short steps, so that a lost link or a close is noticed within a step.
          await pause(Math.min(wait, 250), this.#stop.signal);
          continue;
        }
        for (const schedule of this.#schedules) {
          const at = due.get(schedule.name);
          if (at === undefined || at > Date.now()) continue;
          await this.#fire(channel, schedule, at, lastFires);
          await save();
          const next = nextFire(schedule, at);
          if (next === undefined) due.delete(schedule.name);
          else due.set(schedule.name, next);
        }
      }
    } finally {
      await link.closeChannel(channel);
    }
  }

  async #fire(
    channel: ConfirmChannel,
    schedule: ResolvedSchedule,
    at: number,
    lastFires: Map<string, number>,
  ): Promise<void> {
    const id = fireId(schedule.name, at);
    const message = prepareTask(this.#catalog, schedule.task, schedule.payload as never, { id });
    const { names } = this.#broker;
    if (this.#history.enabled) {
      // The history's event first, as a producer writes it (see Producer).
      const event = encodeEvent(enqueuedEvent(message, false));
      await publishConfirmed(channel, names.events, event.body, event.properties);
    }
    await publishConfirmed(channel, names.main, message.body, message.properties);
    lastFires.set(schedule.name, at);
    this.#report({
      event: "schedule.fired",
      schedule: schedule.name,
      task: schedule.task,
      id,
      late: Date.now() - at,
    });
  }
}
