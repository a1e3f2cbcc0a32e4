/**
 * The scheduler: enqueues the tasks of its schedules when they are due. Any number of replicas
 * may run; exactly one is active at a time, elected through the broker alone (`election.ts`:
 * the active one holds the exclusive queue `Q.scheduler`). A replica that is not active stands
 * by: it says so, and who leads, and tries to take the lead every `electionInterval`, or at once
 * when a leader that stops wakes it.
 *
 * The active scheduler (`leadership.ts`) publishes each fire `mandatory` and confirmed, with the
 * id `<schedule>@<fire time, ISO 8601 UTC>`, then records it in the state snapshot
 * (`state.ts`), so a new leader knows the last fires. A fire the broker refuses is reported and
 * tried again with the same id. Told to stop ({@linkcode Scheduler.close}), it hands the lead
 * over: records the handover in the snapshot, frees `Q.scheduler`, wakes a standby; the next
 * leader then makes every fire due since the last recorded one. After an outage (a leader that
 * died), missed fires follow each schedule's `missed` policy (`skip`, or `once`: one catch-up).
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
import { type HistoryOptions, type ResolvedHistory, resolveHistory } from "../history/options.ts";
import { mainQueueOptions, streamOptions } from "../broker/topology.ts";
import type { Options } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import type { Catalog } from "../task/catalog.ts";
import { pause } from "../util/deadline.ts";
import { Emitter } from "../util/emitter.ts";
import { checkNumber } from "../util/numbers.ts";
import { tryLead, WakeListener, wakeQueueOptions } from "./election.ts";
import { type SchedulerEvent } from "./events.ts";
import { DEFAULT_HANDOVER_WINDOW_MS } from "./fire_plan.ts";
import { lead } from "./leadership.ts";
import { type ResolvedSchedule, resolveSchedules, type Schedule } from "./schedule.ts";
import { readSnapshot, stateQueueOptions } from "./state.ts";

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
  /**
   * How long after a leader handed the lead over (it was told to stop) a new leader still
   * counts the gap as a handover, in milliseconds: it then makes every fire due since the last
   * recorded one, whatever `missed` says. A later start counts as an outage (`missed` applies).
   * @default {30000}
   */
  handoverWindow?: number;
}

/** Default of {@linkcode SchedulerOptions.electionInterval}. */
export const DEFAULT_ELECTION_INTERVAL_MS = 1_000;

/**
 * How often a standby reads the state again to see who leads, in milliseconds: rarely, as a
 * read holds the snapshot for a moment; sooner while it names nobody.
 */
const STANDBY_REREAD_MS = 30_000;
const STANDBY_REREAD_UNKNOWN_MS = 5_000;

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
  readonly #handoverWindow: number;
  readonly #maxPriority: number | undefined;
  readonly #history: ResolvedHistory;
  readonly #stop = new AbortController();
  readonly #closed = Promise.withResolvers<void>();
  #connection: BrokerConnection | undefined;
  #stateQueue: Options.AssertQueue | undefined;
  #leading = false;
  #loop: Promise<void> | undefined;
  #wake: WakeListener | undefined;
  /** Set by a wake note: the next try to lead comes at once. */
  #woken = false;
  #wakeUp = new AbortController();
  /** The link on which listening for wake notes failed last (said once a link). */
  #wakeFailedOn: Link | undefined;
  /** The last fires of this scheduler's terms on a link, while that link holds the lead. */
  #terms: { link: Link; lastFires: Map<string, number> } | undefined;
  /** The leader this standby last reported, and when it read the state. */
  #standby: { leader: string | null; read: number } | undefined;

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
    this.#handoverWindow = checkNumber(
      options.handoverWindow ?? DEFAULT_HANDOVER_WINDOW_MS,
      "handoverWindow",
      "start scheduler",
      { integer: false, min: 0 },
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

  /**
   * Stops firing and leaves the election. The active replica first finishes the fire in
   * flight and hands the lead over: it records the handover in the state, frees `Q.scheduler`
   * and wakes a standby, which then makes every fire due since the last one.
   */
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
    this.#stateQueue = stateQueueOptions(queueType, features);
    const adopted = await declareQueues(link, [
      [names.main, mainQueueOptions(names, queueType, this.#maxPriority)],
      [names.schedules, this.#stateQueue],
      [names.schedulerWake, wakeQueueOptions()],
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
    else if (name === "schedule.missed" || name === "schedule.refused") log.warn(name, fields);
    else log.info(name, fields);
    this.emit(event);
  }

  #follow(reason: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#report({ event: "scheduler.following", scheduler: this.#id, reason });
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const link = this.#connection?.link;
      let handedOver = false;
      try {
        if (link && await tryLead(link, this.#broker.names)) {
          await this.#stopListening();
          this.#standby = undefined;
          this.#leading = true;
          this.#report({ event: "scheduler.leading", scheduler: this.#id });
          // A term after one that ended with this link still holding the lead resumes it.
          const resumed = this.#terms?.link === link;
          if (!resumed) this.#terms = { link, lastFires: new Map() };
          await lead({
            link,
            id: this.#id,
            names: this.#broker.names,
            stateQueue: this.#stateQueue!,
            catalog: this.#catalog,
            schedules: this.#schedules,
            history: this.#history.enabled,
            handoverWindow: this.#handoverWindow,
            term: { lastFires: this.#terms!.lastFires, resumed },
            stop: signal,
            report: (event) => this.#report(event),
            logger: this.#broker.logger,
          });
          handedOver = signal.aborted && link.live;
        } else if (link && !signal.aborted) {
          this.#terms = undefined; // another holds the lead: a later term resumes nothing
          await this.#standBy(link);
        }
      } catch (err) {
        this.#broker.logger.warn("scheduler.error", {
          scheduler: this.#id,
          error: describeError(err),
        });
      }
      this.#follow(
        handedOver
          ? "it handed the lead over"
          : signal.aborted
          ? "the scheduler is closing"
          : "the lead was lost",
      );
      if (signal.aborted) break;
      if (!this.#woken) {
        this.#wakeUp = new AbortController();
        await pause(this.#interval, AbortSignal.any([signal, this.#wakeUp.signal]));
      }
      this.#woken = false;
    }
    await this.#stopListening();
  }

  /** Listens for wake notes on `link`, and says that it stands by and who leads. */
  async #standBy(link: Link): Promise<void> {
    if (!this.#wake?.listensOn(link)) {
      await this.#stopListening();
      try {
        this.#wake = await WakeListener.open(link, this.#broker.names, (by) => {
          this.#broker.logger.debug("scheduler.woken", { scheduler: this.#id, by: by ?? null });
          this.#woken = true;
          this.#wakeUp.abort();
        });
      } catch (err) {
        // Without wake notes a standby still takes over, at its next try. Said once a link.
        if (this.#wakeFailedOn !== link) {
          this.#wakeFailedOn = link;
          this.#broker.logger.warn("scheduler.wake_unavailable", {
            scheduler: this.#id,
            queue: this.#broker.names.schedulerWake,
            error: describeError(err),
          });
        }
      }
    }
    const now = Date.now();
    if (this.#standby) {
      const every = this.#standby.leader === null ? STANDBY_REREAD_UNKNOWN_MS : STANDBY_REREAD_MS;
      if (now - this.#standby.read < every) return;
    }
    const snapshot = await readSnapshot(link, this.#broker.names);
    // A snapshot that records a handover names nobody: the lead is being taken over.
    const leader = snapshot === undefined || snapshot.handover ? null : snapshot.leader;
    const changed = this.#standby === undefined || this.#standby.leader !== leader;
    this.#standby = { leader, read: now };
    if (changed) this.#report({ event: "scheduler.standby", scheduler: this.#id, leader });
  }

  async #stopListening(): Promise<void> {
    const wake = this.#wake;
    this.#wake = undefined;
    await wake?.close();
  }
}
