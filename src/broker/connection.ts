/**
 * A connection to RabbitMQ that survives: it tries each broker URL in turn with backoff (each
 * host over IPv4, then IPv6), turns on heartbeats, and after an unexpected close connects again
 * and runs its setup (declare queues, open channels, consume) on the new connection.
 *
 * Each AMQP connection it makes is a {@linkcode Link}, numbered by its generation, so that work
 * begun on an older link (an ack, say) is never sent on a newer one. The connection owns the
 * channel policy (see `link.ts`): a channel that the broker closes under a live link restarts
 * the connection, and nothing else closes a raw connection.
 *
 * @module
 */
import type { ChannelModel } from "../deps/amqplib.ts";
import { ConfigError } from "../errors/config_error.ts";
import { ConnectionError } from "../errors/connection_error.ts";
import { describeError } from "../errors/describe.ts";
import { backoffCeiling } from "../util/backoff.ts";
import { finishesWithin, pause, withTimeout } from "../util/deadline.ts";
import { Slot } from "../util/gate.ts";
import { type Logger, silentLogger } from "../util/logger.ts";
import { permanentError } from "./connection_errors.ts";
import { dial } from "./dial.ts";
import { Link } from "./link.ts";
import { redactText, redactUrl } from "./urls.ts";

/** Options of {@linkcode BrokerConnection.open}. */
export interface ConnectionOptions {
  /** Broker URLs, tried in turn. */
  urls: readonly string[];
  /**
   * Heartbeat interval in seconds, unless a URL sets its own `heartbeat` query parameter.
   * @default {15}
   */
  heartbeat?: number;
  /**
   * Name of the connection, shown by the broker's management tools.
   * @default {"warren"}
   */
  name?: string;
  /**
   * Rounds over all URLs before the first connection is given up.
   * @default {3}
   */
  connectAttempts?: number;
  /**
   * Whether to connect again after the connection is lost.
   * @default {true}
   */
  reconnect?: boolean;
  /**
   * Where connection events are logged.
   * @default {silentLogger}
   */
  logger?: Logger;
}

/** Delays between connection attempts: 200 ms, doubling up to 10 s, jittered. */
const CONNECT_BACKOFF = { base: 200, max: 10_000 } as const;

/** Time limit of one connection attempt, in milliseconds. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Runs on each new link, before it counts as up. */
export type LinkSetup = (link: Link) => Promise<void>;

/**
 * How long a close waits for the broker's answer. A network that drops every byte (a firewall
 * that blackholes the connection), or a broker whose side of the connection hangs, never answers.
 */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Closes an AMQP connection; never rejects, and never waits longer than `CLOSE_TIMEOUT_MS`: a
 * close the broker does not answer by then ends by dropping the socket, which fails whatever
 * still waits on the connection (confirms, replies), as a lost connection does.
 */
async function closeModel(model: ChannelModel): Promise<void> {
  if (await finishesWithin(model.close(), CLOSE_TIMEOUT_MS)) return;
  dropSocket(
    model,
    new ConnectionError(`RabbitMQ did not answer the close within ${CLOSE_TIMEOUT_MS} ms`),
  );
}

/** Destroys the connection's socket (amqplib keeps it as `connection.stream`, untyped). */
function dropSocket(model: ChannelModel, reason: Error): void {
  const { stream } = model.connection as unknown as {
    stream?: { destroy?: (err?: Error) => void };
  };
  stream?.destroy?.(reason);
}

/** A supervised connection; see the module documentation. */
export class BrokerConnection {
  readonly #urls: readonly string[];
  readonly #options: ConnectionOptions;
  readonly #log: Logger;
  readonly #setup: LinkSetup;
  readonly #closing = new AbortController();
  readonly #lostListeners = new Set<(err: Error) => void>();
  readonly #failedListeners = new Set<(err: Error) => void>();
  /** The link that is up, for those who wait for one. */
  readonly #link = new Slot<Link>();
  /** The link whose deliveries may be settled: the one up, or the one being set up. */
  #live: Link | undefined;
  readonly #models = new WeakMap<Link, ChannelModel>();
  #generation = 0;
  #nextUrl = 0;
  #reconnecting = false;
  #restartReason: string | undefined;

  private constructor(options: ConnectionOptions, setup: LinkSetup) {
    if (options.urls.length === 0) {
      throw new ConfigError("Cannot connect as no broker URL was given: give amqp://host:port");
    }
    this.#urls = options.urls;
    this.#options = options;
    this.#log = options.logger ?? silentLogger;
    this.#setup = setup;
  }

  /**
   * Connects to the first broker that answers and runs `setup` on the link; rejects with a
   * {@linkcode ConnectionError} when every URL failed `connectAttempts` times, or at once for
   * an error no retry can mend (a refused login or virtual host, a denied permission).
   */
  static async open(options: ConnectionOptions, setup: LinkSetup): Promise<BrokerConnection> {
    const connection = new BrokerConnection(options, setup);
    const rounds = options.connectAttempts ?? 3;
    await connection.#connectLoop(rounds * options.urls.length);
    return connection;
  }

  /** Whether the connection is closing or closed on purpose. */
  get closing(): boolean {
    return this.#closing.signal.aborted;
  }

  /** The current link, if connected. */
  get link(): Link | undefined {
    return this.#link.current;
  }

  /** Calls `listener` each time the connection is lost unexpectedly. */
  onLost(listener: (err: Error) => void): void {
    this.#lostListeners.add(listener);
  }

  /**
   * Calls `listener` when the connection is given up: lost with `reconnect: false`, or a
   * reconnection met an error that retrying cannot mend (a refused login, an untrusted
   * certificate, a denied virtual host).
   */
  onFailed(listener: (err: Error) => void): void {
    this.#failedListeners.add(listener);
  }

  /** The live link; while reconnecting, waits up to `timeoutMs` for the next one. */
  ready(timeoutMs: number): Promise<Link> {
    const link = this.#link.current;
    if (link) return Promise.resolve(link);
    if (this.closing) {
      return Promise.reject(new ConnectionError("The connection to RabbitMQ is closed"));
    }
    return withTimeout(
      this.#link.get(),
      timeoutMs,
      () =>
        new ConnectionError(
          `Not connected to RabbitMQ after waiting ${timeoutMs} ms: the broker at ${
            this.#urls.map(redactUrl).join(", ")
          } does not answer`,
        ),
    );
  }

  /**
   * Starts over on a new connection: logs `connection.restart` with `reason`, closes the current
   * one (the broker requeues its unacknowledged deliveries) and reconnects.
   */
  restart(reason: string): void {
    const link = this.#link.current;
    if (this.closing || link === undefined || this.#restartReason !== undefined) return;
    this.#restartReason = reason;
    this.#log.warn("connection.restart", { reason, generation: link.generation });
    closeModel(this.#models.get(link)!);
  }

  /** Closes the connection for good; pending {@linkcode BrokerConnection.ready} calls reject. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.#closing.abort();
    const link = this.#link.current;
    this.#live = undefined;
    this.#link.fail(new ConnectionError("The connection to RabbitMQ was closed"));
    if (link) await closeModel(this.#models.get(link)!);
  }

  async #connectLoop(maxAttempts: number): Promise<void> {
    const errors = new Map<string, string>();
    for (let attempt = 1; attempt <= maxAttempts && !this.closing; attempt++) {
      const url = this.#urls[this.#nextUrl % this.#urls.length]!;
      this.#nextUrl++;
      try {
        await this.#connectOnce(url);
        return;
      } catch (err) {
        const permanent = permanentError(err, url);
        if (permanent) throw permanent;
        const reason = redactText(describeError(err), this.#urls);
        errors.set(redactUrl(url), reason);
        if (attempt === maxAttempts) break;
        // What is logged is what is waited.
        const delay = Math.round(
          backoffCeiling(attempt, CONNECT_BACKOFF) * (0.5 + Math.random() / 2),
        );
        this.#log.warn("connection.retry", { url: redactUrl(url), error: reason, attempt, delay });
        await pause(delay, this.#closing.signal);
      }
    }
    if (this.closing) throw new ConnectionError("The connection to RabbitMQ was closed");
    const detail = [...errors].map(([url, reason]) => `${url} (${reason})`).join(", ");
    throw new ConnectionError(`Cannot connect to RabbitMQ at ${detail}: is it running there?`, {
      unreachable: true,
    });
  }

  async #connectOnce(url: string): Promise<void> {
    const model = await dial(url, {
      heartbeat: this.#options.heartbeat ?? 15,
      name: this.#options.name ?? "warren",
      timeout: CONNECT_TIMEOUT_MS,
    });
    const generation = ++this.#generation;
    const link = new Link(model, { generation, url, log: this.#log }, {
      restart: (reason) => {
        if (this.#link.current === link) this.restart(reason);
      },
      isLive: (candidate) => this.#live === candidate,
    });
    this.#models.set(link, model);
    model.on("error", (err: Error) => {
      this.#log.warn("connection.error", {
        url: redactUrl(url),
        error: redactText(describeError(err), this.#urls),
      });
    });
    model.on("blocked", (reason: string) => this.#log.warn("connection.blocked", { reason }));
    model.on("unblocked", () => this.#log.info("connection.unblocked"));
    model.on("close", (err?: Error) => this.#onClose(link, err));
    // Live from here: the setup may start consuming, and the first deliveries be acked.
    this.#live = link;
    try {
      await this.#setup(link);
    } catch (err) {
      this.#live = undefined;
      await closeModel(model);
      throw err;
    }
    if (this.closing) {
      this.#live = undefined;
      await closeModel(model);
      return;
    }
    this.#restartReason = undefined;
    this.#link.set(link);
    this.#log.info("connection.up", {
      url: redactUrl(url),
      generation,
      broker: link.serverVersion,
    });
  }

  #onClose(link: Link, err: Error | undefined): void {
    if (this.#live === link) this.#live = undefined;
    if (this.closing || this.#link.current !== link) return;
    this.#link.clear();
    const why = this.#restartReason ?? describeError(err ?? "closed");
    const error = new ConnectionError(
      `Lost the connection to RabbitMQ: ${redactText(why, this.#urls)}`,
      { cause: err },
    );
    this.#log.warn("connection.lost", { error: error.message });
    for (const listener of this.#lostListeners) listener(error);
    if (this.#options.reconnect === false) {
      for (const listener of this.#failedListeners) listener(error);
      return;
    }
    this.#reconnect();
  }

  #reconnect(): void {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    (async () => {
      try {
        while (!this.closing && !this.#link.current) {
          try {
            await this.#connectLoop(Number.MAX_SAFE_INTEGER);
          } catch (err) {
            if (this.closing) return;
            this.#log.error("connection.failed", { error: describeError(err) });
            for (const listener of this.#failedListeners) listener(err as Error);
            return;
          }
        }
      } finally {
        this.#reconnecting = false;
      }
    })();
  }
}
