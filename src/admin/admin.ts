/**
 * {@linkcode Admin}: operator tools for a work queue over one AMQP connection: the state of its
 * queues, the dead letters (list, replay) and purges.
 *
 * @module
 */
import type { ChannelModel } from "amqplib";
import { BrokerConnection } from "../connection.ts";
import { type Logger, silentLogger } from "../logger.ts";
import { DEFAULT_QUEUE, type QueueNames, queueNames, type QueueType } from "../topology.ts";
import { DEFAULT_URL, parseUrls, redactUrl } from "../urls.ts";
import { type DeadLetterList, listDeadLetters, type ListOptions } from "./dead_letters.ts";
import { inspectQueue, purgeQueue, type QueueCounts } from "./queues.ts";
import { replayDeadLetters, type ReplayOptions, type ReplaySummary } from "./replay.ts";
import { amqpStatus, type StatusReport } from "./status.ts";

/** Options of {@linkcode Admin.connect}. */
export interface AdminOptions {
  /**
   * Broker URL, or several tried in turn.
   * @default {"amqp://localhost:5672"}
   */
  url?: string | readonly string[];
  /**
   * The work queue.
   * @default {"task_queue"}
   */
  queue?: string;
  /**
   * The work queue's type, should replaying have to declare it.
   * @default {"classic"}
   */
  queueType?: QueueType;
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
  /**
   * Where connection events are logged.
   * @default {silentLogger}
   */
  logger?: Logger;
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
  readonly #names: QueueNames;
  readonly #urls: readonly string[];
  readonly #queueType: QueueType;
  readonly #logger: Logger;

  private constructor(
    connection: BrokerConnection,
    names: QueueNames,
    urls: readonly string[],
    options: AdminOptions,
  ) {
    this.#connection = connection;
    this.#names = names;
    this.#urls = urls;
    this.#queueType = options.queueType ?? "classic";
    this.#logger = options.logger ?? silentLogger;
  }

  /** Connects to the broker; rejects with a `ConnectionError` when none answers. */
  static async connect(options: AdminOptions = {}): Promise<Admin> {
    const names = queueNames(options.queue ?? DEFAULT_QUEUE);
    const urls = parseUrls(options.url ?? DEFAULT_URL, "the 'url' option");
    const connection = await BrokerConnection.open({
      urls,
      name: "warren-admin",
      reconnect: options.reconnect ?? false,
      ...(options.connectAttempts === undefined
        ? {}
        : { connectAttempts: options.connectAttempts }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    }, async () => {});
    return new Admin(connection, names, urls, options);
  }

  /** The names of the work queue's queues. */
  get names(): QueueNames {
    return this.#names;
  }

  async #model(): Promise<ChannelModel> {
    return (await this.#connection.ready(10_000)).model;
  }

  /**
   * The state of the work queue, its dead-letter queue and those of its delay queues
   * `Q.retry.<ms>` that exist among `retryDelays` (see `possibleRetryDelays`).
   */
  async status(retryDelays: readonly number[] = []): Promise<StatusReport> {
    const from = this.#urls.map(redactUrl).join(", ");
    return amqpStatus(await this.#model(), this.#names, { retryDelays, from });
  }

  /** Ready messages and consumers of one queue, or `undefined` when it does not exist. */
  async counts(queue: AdminQueue): Promise<QueueCounts | undefined> {
    return inspectQueue(await this.#model(), this.#names[queue]);
  }

  /** Reads dead letters without removing them; see `listDeadLetters`. */
  async listDead(options: ListOptions = {}): Promise<DeadLetterList> {
    return listDeadLetters(await this.#model(), this.#names, options);
  }

  /** Moves matching dead letters back to the work queue; see `replayDeadLetters`. */
  async replayDead(options: ReplayOptions = {}): Promise<ReplaySummary> {
    return replayDeadLetters(await this.#model(), this.#names, {
      queueType: this.#queueType,
      logger: this.#logger,
      ...options,
    });
  }

  /** Removes every ready message of one queue; resolves to how many were removed. */
  async purge(queue: AdminQueue): Promise<number> {
    return purgeQueue(await this.#model(), this.#names[queue]);
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.#connection.close();
  }
}
