/**
 * {@linkcode Admin}: operator tools for a work queue over one AMQP connection: the state of its
 * queues, the dead letters (list, replay) and purges.
 *
 * @module
 */
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

/** Options of {@linkcode Admin.connect}. */
export interface AdminOptions extends BrokerOptions {
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

  private constructor(connection: BrokerConnection, broker: ResolvedBroker) {
    this.#connection = connection;
    this.#broker = broker;
  }

  /** Connects to the broker; rejects with a `ConnectionError` when none answers. */
  static async connect(options: AdminOptions = {}): Promise<Admin> {
    const broker = resolveBrokerOptions(options);
    const connection = await BrokerConnection.open({
      urls: broker.urls,
      name: "warren-admin",
      reconnect: options.reconnect ?? false,
      logger: broker.logger,
      ...(options.connectAttempts === undefined
        ? {}
        : { connectAttempts: options.connectAttempts }),
    }, async () => {});
    return new Admin(connection, broker);
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

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.#connection.close();
  }
}
