/**
 * The orchestrator's own connection to the broker: declares each run's fresh queue, waits for its
 * consumers, deletes it afterwards, and reads the broker's version.
 *
 * @module
 */
import amqp, { type Channel, type ChannelModel } from "amqplib";
import { brokerFeatures } from "../src/broker/features.ts";
import { deadQueueOptions, type QueueType, streamOptions } from "../src/broker/topology.ts";
import { resolveHistory } from "../src/history/options.ts";

/** The broker the benchmark uses. */
export const BENCH_URL = Deno.env.get("AMQP_URL") ?? "amqp://localhost:5672";

/** A queue name used by one run only. */
export function uniqueQueue(label: string): string {
  return `warren_bench_${label}_${crypto.randomUUID().slice(0, 8)}`;
}

/** Queue management for the benchmark. */
export class BrokerAdmin implements AsyncDisposable {
  readonly #model: ChannelModel;

  private constructor(model: ChannelModel) {
    this.#model = model;
  }

  /** Connects to {@linkcode BENCH_URL}. */
  static async connect(): Promise<BrokerAdmin> {
    const model = await amqp.connect(BENCH_URL);
    model.on("error", () => {});
    return new BrokerAdmin(model);
  }

  /** The broker's version, as it announces it. */
  get version(): string {
    const value: unknown = this.#model.connection.serverProperties.version;
    return typeof value === "string" ? value : "unknown";
  }

  async #withChannel<T>(use: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await this.#model.createChannel();
    channel.on("error", () => {});
    try {
      return await use(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  /** Declares `queue` durable, of `type`, with the arguments Warren gives it. */
  declare(queue: string, type: QueueType): Promise<void> {
    return this.#withChannel(async (channel) => {
      await channel.assertQueue(queue, {
        durable: true,
        arguments: type === "quorum" ? { "x-queue-type": "quorum" } : {},
      });
    });
  }

  /**
   * Declares what a Warren worker declares beside work queue `queue` (`Q.dead`, `Q.events`,
   * `Q.control`), as it would, with the default retention. A worker that creates a quorum queue
   * holds its start 2 s (`NEW_QUORUM_QUEUE_HOLD_MS`): declared beforehand, workers that start
   * together on a full queue also begin together.
   */
  declareWorkerQueues(queue: string, type: QueueType): Promise<void> {
    const history = resolveHistory({}, "declare the streams");
    return this.#withChannel(async (channel) => {
      await channel.assertQueue(
        `${queue}.dead`,
        deadQueueOptions(type, brokerFeatures(this.version)),
      );
      await channel.assertQueue(`${queue}.events`, streamOptions(history.events));
      await channel.assertQueue(`${queue}.control`, streamOptions(history.control));
    });
  }

  /** The consumer and message counts of `queue`. */
  counts(queue: string): Promise<{ consumers: number; messages: number }> {
    return this.#withChannel(async (channel) => {
      const reply = await channel.checkQueue(queue);
      return { consumers: reply.consumerCount, messages: reply.messageCount };
    });
  }

  /**
   * Polls until `queue` has `count` consumers; rejects after `timeoutMs` or as soon as `failed()`
   * names a reason (a consumer process that exited, say).
   */
  async waitForConsumers(
    queue: string,
    count: number,
    failed: () => string | undefined,
    timeoutMs = 60_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reason = failed();
      if (reason !== undefined) throw new Error(`consumers of ${queue} did not start: ${reason}`);
      const { consumers } = await this.counts(queue).catch(() => ({ consumers: 0 }));
      if (consumers >= count) return;
      if (Date.now() > deadline) {
        throw new Error(`${queue} has ${consumers} of ${count} consumers after ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Deletes each queue (a queue that does not exist is fine). */
  deleteQueues(queues: readonly string[]): Promise<void> {
    return this.#withChannel(async (channel) => {
      for (const queue of queues) await channel.deleteQueue(queue);
    });
  }

  /**
   * Deletes work queue `queue` with its dead letters and its streams (the history is on by
   * default), and `more`.
   */
  deleteWorkQueue(queue: string, more: readonly string[] = []): Promise<void> {
    return this.deleteQueues([
      queue,
      `${queue}.dead`,
      `${queue}.events`,
      `${queue}.control`,
      `${queue}.join`,
      ...more,
    ]);
  }

  /** Deletes each exchange (one that does not exist is fine). */
  deleteExchanges(exchanges: readonly string[]): Promise<void> {
    return this.#withChannel(async (channel) => {
      for (const exchange of exchanges) await channel.deleteExchange(exchange);
    });
  }

  /** The ready messages of all of `queues` together (a queue that does not exist holds none). */
  async messagesIn(queues: readonly string[]): Promise<number> {
    let total = 0;
    for (const queue of queues) {
      total += (await this.counts(queue).catch(() => ({ messages: 0 }))).messages;
    }
    return total;
  }

  /** Closes the connection. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#model.close().catch(() => {});
  }
}
