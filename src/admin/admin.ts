/**
 * {@linkcode Admin}: operator tools for a work queue over one AMQP connection: the state of its
 * queues, the dead letters (list, replay), purges, and the tasks' history (lookups, results,
 * cancels).
 *
 * @module
 */
import { findWorkflow, type WorkflowLookup } from "../history/workflow_lookup.ts";
import { BrokerConnection } from "../broker/connection.ts";
import type { Link } from "../broker/link.ts";
import {
  type BrokerOptions,
  resolveBrokerOptions,
  type ResolvedBroker,
} from "../broker/options.ts";
import type { QueueNames } from "../broker/topology.ts";
import { redactUrl } from "../broker/urls.ts";
import { type DeadLetterList, listDeadLetters, type ListOptions } from "./dead_letters.ts";
import { checkFilter } from "./filters.ts";
import { inspectQueue, purgeQueue, type QueueCounts, requireQueue } from "./queues.ts";
import { replayDeadLetters, type ReplayOptions, type ReplaySummary } from "./replay.ts";
import { readSchedules, type SchedulesReport } from "./schedules.ts";
import { amqpStatus, type StatusReport } from "./status.ts";
import { type FlowStatus, flowStatus } from "./flow_status.ts";
import { type CancelOptions, findCancels, requestCancels } from "../history/cancels.ts";
import type { CancelRequest } from "../wire/control.ts";
import {
  awaitOutcome,
  type FindOptions,
  findTasks,
  listTasks,
  lookupStart,
  type TaskList,
  type TaskQuery,
} from "../history/lookup.ts";
import type { SkippedMessages } from "../history/skipped.ts";
import { checkStreams, type StreamCheck, type StreamCheckOptions } from "./stream_check.ts";
import { type HistoryOptions, type ResolvedHistory, resolveHistory } from "../history/options.ts";
import { isFinished, type TaskRecord, type TaskState } from "../history/timeline.ts";
import { type FeedOptions, TaskFeed } from "../history/feed.ts";
import { MissingQueueError } from "../errors/missing_queue_error.ts";
import type { TaskOutcome } from "../wire/outcome_codec.ts";
import { isDeadReason } from "../wire/dead_reasons.ts";

/** Options of {@linkcode Admin.connect}. */
export interface AdminOptions extends BrokerOptions, HistoryOptions {
  /**
   * Rounds over all URLs before connecting is given up.
   * @default {3}
   */
  connectAttempts?: number;
  /**
   * Whether to connect again after the connection is lost (for long-running views).
   * @default {false}
   */
  reconnect?: boolean;
}

/** What became of one cancel asked of {@linkcode Admin.cancel}. */
export interface CancelReport {
  /** The task's id. */
  readonly id: string;
  /**
   * `requested`: the request is in `Q.control`; `finished`: the task had finished, so nothing
   * was asked; `unknown`: the history has no task of that id, so nothing was asked.
   */
  readonly outcome: "requested" | "finished" | "unknown";
  /** The task's state, as the history had it (absent without a history). */
  readonly state?: TaskState;
  /** Whether the history was there to check the task against. */
  readonly checked: boolean;
}

/** A task as {@linkcode Admin.task} finds it: its record, and the cancel asked of it. */
export interface TaskLookup extends TaskRecord {
  /** The request to cancel it, when one was made (and not superseded by a replay). */
  readonly cancelRequest?: CancelRequest;
  /** The events of this id that could not be read (too large, too deep, malformed), skipped. */
  readonly skipped: SkippedMessages;
}

/** Options of {@linkcode Admin.cancel}. */
export interface AdminCancelOptions extends CancelOptions, FindOptions {
  /**
   * Ask for every cancel without checking the ids in the history first (for tasks whose
   * producer records no history).
   * @default {false}
   */
  unchecked?: boolean;
}

/** Which of a work queue's queues: the work queue itself or its dead-letter queue. */
export type AdminQueue = "main" | "dead";

/**
 * Operator tools for one work queue.
 *
 * @example Replay the failed `sum` tasks
 * ```ts ignore
 * import { Admin } from "./admin.ts";
 *
 * const admin = await Admin.connect({ queue: "task_queue" });
 * try {
 *   const { replayed } = await admin.replayDead({ task: "sum", reason: "failed" });
 *   console.log(`${replayed} replayed`);
 * } finally {
 *   await admin.close();
 * }
 * ```
 */
export class Admin {
  readonly #connection: BrokerConnection;
  readonly #broker: ResolvedBroker;
  readonly #history: ResolvedHistory;

  private constructor(
    connection: BrokerConnection,
    broker: ResolvedBroker,
    history: ResolvedHistory,
  ) {
    this.#connection = connection;
    this.#broker = broker;
    this.#history = history;
  }

  /** Connects to the broker; rejects with a `ConnectionError` when none answers. */
  static async connect(options: AdminOptions = {}): Promise<Admin> {
    const broker = resolveBrokerOptions(options);
    const history = resolveHistory(options, "connect admin");
    const connection = await BrokerConnection.open({
      urls: broker.urls,
      name: "warren-admin",
      reconnect: options.reconnect ?? false,
      logger: broker.logger,
      ...(options.connectAttempts === undefined
        ? {}
        : { connectAttempts: options.connectAttempts }),
    }, async () => {});
    return new Admin(connection, broker, history);
  }

  /** The names of the work queue's queues. */
  get names(): QueueNames {
    return this.#broker.names;
  }

  #link(): Promise<Link> {
    return this.#connection.ready(10_000);
  }

  /** The state of the work queue, its dead-letter queue and its delay levels. */
  async status(): Promise<StatusReport> {
    const from = this.#broker.urls.map(redactUrl).join(", ");
    return amqpStatus(await this.#link(), this.names, { from });
  }

  /** The key partitions, and the rate limits of `limitedTasks` (see `flow_status.ts`). */
  async flowStatus(limitedTasks: readonly string[] = []): Promise<FlowStatus> {
    return flowStatus(await this.#link(), this.names, limitedTasks);
  }

  /** Ready messages and consumers of one queue, or `undefined` when it does not exist. */
  async counts(queue: AdminQueue): Promise<QueueCounts | undefined> {
    return inspectQueue(await this.#link(), this.names[queue]);
  }

  /**
   * Ready messages and consumers of one queue; a `MissingQueueError` that says what to check
   * when it does not exist.
   */
  async requireCounts(queue: AdminQueue): Promise<QueueCounts> {
    return requireQueue(await this.#link(), this.names, this.names[queue]);
  }

  /** Reads dead letters without removing them; see `listDeadLetters`. */
  async listDead(options: ListOptions = {}): Promise<DeadLetterList> {
    checkFilter(options);
    return listDeadLetters(await this.#link(), this.names, options);
  }

  /** Moves matching dead letters back to the work queue; see `replayDeadLetters`. */
  async replayDead(options: ReplayOptions = {}): Promise<ReplaySummary> {
    checkFilter(options);
    return replayDeadLetters(await this.#link(), this.names, {
      queueType: this.#broker.queueType,
      logger: this.#broker.logger,
      ...options,
    });
  }

  /** Removes every ready message of one queue; resolves to how many were removed. */
  async purge(queue: AdminQueue): Promise<number> {
    return purgeQueue(await this.#link(), this.names, this.names[queue]);
  }

  /** The schedules the active scheduler keeps in the broker, and whether one is active. */
  async schedules(): Promise<SchedulesReport> {
    return readSchedules(await this.#link(), this.names);
  }

  /**
   * Task `id` as the history tells it: its state, attempts, progress, result or error, and its
   * events in order, with the cancel request made of it, if any (a delayed task stays delayed
   * until a worker gets it and carries the cancel out); `undefined` when the history has no
   * event of it. Rejects with a `MissingQueueError` when the queue has no history.
   */
  async task(id: string, options: FindOptions = {}): Promise<TaskLookup | undefined> {
    const link = await this.#link();
    const { records, skipped } = await findTasks(link, this.names, [id], options);
    const record = records.get(id);
    if (!record) return undefined;
    const request = (await findCancels(link, this.names, [id], lookupStart(id, options.since)))
      .get(id);
    return request ? { ...record, cancelRequest: request, skipped } : { ...record, skipped };
  }

  /**
   * The steps of workflow `id` as the history has them (each step's state, attempts, duration,
   * result or error), and the workflow's state; `undefined` when the history has no event of
   * any. Rejects with a `MissingQueueError` when the queue has no history.
   */
  async workflow(id: string, options: FindOptions = {}): Promise<WorkflowLookup | undefined> {
    return await findWorkflow(await this.#link(), this.names, id, options);
  }

  /**
   * The tasks with events since `query.since`, filtered, the most recently updated first (their
   * long texts cut), with a count of the events that could not be read.
   */
  async tasks(query: TaskQuery): Promise<TaskList> {
    return listTasks(await this.#link(), this.names, query);
  }

  /**
   * Reads `Q.events` and `Q.control` (those that exist) from `options.since` and counts the
   * messages that a reader skips as unreadable; see `checkStreams`.
   */
  async checkStreams(options: StreamCheckOptions = {}): Promise<StreamCheck[]> {
    return checkStreams(await this.#link(), this.names, options);
  }

  /**
   * Follows the history live from `options.since` (an hour ago by default), keeping the
   * latest tasks' records and counting every event of the last hour; close it when done.
   * Rejects with a `MissingQueueError` when the queue has no history.
   */
  async feed(options: FeedOptions = {}): Promise<TaskFeed> {
    return TaskFeed.open(await this.#link(), this.names, options);
  }

  /**
   * The outcome of task `id`, waiting up to `timeout` milliseconds for it to finish (0: only
   * a task that has finished); `undefined` when it has not, in that time.
   */
  async result(
    id: string,
    options: FindOptions & { readonly timeout?: number } = {},
  ): Promise<TaskOutcome | undefined> {
    const link = await this.#link();
    const timeout = options.timeout ?? 0;
    if (timeout <= 0) {
      const record = (await findTasks(link, this.names, [id], options)).records.get(id);
      if (!record || !isFinished(record.state)) return undefined;
      return outcomeOfRecord(record);
    }
    try {
      return await awaitOutcome(link, this.names, id, { ...options, timeout });
    } catch (err) {
      if ((err as Error).name === "ResultTimeoutError") return undefined;
      throw err;
    }
  }

  /**
   * Asks every worker not to run these tasks, or to stop running them (see
   * `Producer.cancel`), after checking each against the history: a task that finished, or
   * that the history does not know, is not asked for. Without a history (no `Q.events`), or
   * with `unchecked`, every one is asked for, unchecked.
   */
  async cancel(
    ids: readonly string[],
    options: AdminCancelOptions = {},
  ): Promise<CancelReport[]> {
    const link = await this.#link();
    let records: Map<string, TaskRecord> | undefined;
    try {
      if (!options.unchecked) {
        records = (await findTasks(link, this.names, ids, options)).records;
      }
    } catch (err) {
      if (!(err instanceof MissingQueueError)) throw err;
    }
    const checked = records !== undefined;
    const reports: CancelReport[] = ids.map((id) => {
      const record = records?.get(id);
      if (checked && !record) return { id, outcome: "unknown", checked };
      const state = record ? { state: record.state } : {};
      const finished = record !== undefined && isFinished(record.state);
      return { id, outcome: finished ? "finished" : "requested", checked, ...state };
    });
    await requestCancels(
      link,
      this.names,
      reports.filter((r) => r.outcome === "requested").map((r) => r.id),
      {
        ...(options.drop ? { drop: true } : {}),
        ...(options.by === undefined ? {} : { by: options.by }),
        retention: this.#history.control,
        logger: this.#broker.logger,
      },
    );
    return reports;
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.#connection.close();
  }
}

/** The outcome that a finished task's record says. */
function outcomeOfRecord(record: TaskRecord): TaskOutcome {
  const task = record.task === undefined ? {} : { task: record.task };
  if (record.state === "succeeded") {
    return { id: record.id, task: record.task ?? "", ok: true, result: record.result };
  }
  return {
    id: record.id,
    ...task,
    ok: false,
    reason: record.reason !== undefined && isDeadReason(record.reason) ? record.reason : "failed",
    error: record.error ?? record.state,
  };
}
