/**
 * A connection to RabbitMQ that survives: it tries each broker URL in turn with backoff, turns on
 * heartbeats, and after an unexpected close connects again and runs its setup (declare queues,
 * open channels, consume) on the new connection. Each successful connection has a generation
 * number, so that work begun on an older connection (an ack, say) is never sent on a newer one.
 *
 * @module
 */
import amqp, { type ChannelModel } from "amqplib";
import { backoffCeiling } from "./backoff.ts";
import { pause, withTimeout } from "./deadline.ts";
import { ConfigError, ConnectionError, describeError, PermissionError } from "./errors.ts";
import { permissionAdvice } from "./permissions.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { hostPort, redactText, redactUrl, withHeartbeat } from "./urls.ts";

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

/** Delays between connection attempts: 200 ms, doubling up to 10 s (then jittered). */
const CONNECT_BACKOFF = { base: 200, max: 10_000 } as const;

/** Time limit of one connection attempt, in milliseconds. */
const CONNECT_TIMEOUT_MS = 10_000;

/** Runs on each new connection, before it counts as up; `generation` starts at 1. */
export type SessionSetup = (model: ChannelModel, generation: number) => Promise<void>;

/** A live connection and its generation. */
export interface Session {
  /** The amqplib connection. */
  readonly model: ChannelModel;
  /** Which connection this is, counting from 1. */
  readonly generation: number;
}

/**
 * `node:tls` error codes of a broker certificate the client does not accept: retrying cannot
 * mend them, and "is it running there?" would mislead.
 */
const TLS_TRUST_CODES: ReadonlySet<string> = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Errors that no retry can mend: a login the broker refuses, a permission Deno denies. */
function permanentError(err: unknown, url: string): Error | undefined {
  const text = describeError(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  if (err instanceof Deno.errors.NotCapable || code === "EPERM") {
    const flag = `--allow-net=${hostPort(url)}`;
    return new PermissionError(
      `Deno denied network access to ${hostPort(url)}: ${
        permissionAdvice(flag, `WARREN_COMPILE_NET=${hostPort(url)} deno task compile`)
      }`,
      { cause: err },
    );
  }
  if (typeof code === "string" && TLS_TRUST_CODES.has(code)) {
    return new ConnectionError(
      `Cannot connect to RabbitMQ at ${redactUrl(url)} over TLS: ${text}. ${
        code === "ERR_TLS_CERT_ALTNAME_INVALID"
          ? "Use the host name the broker's certificate names"
          : "If a private CA signed the broker's certificate, trust it: deno run --cert ca.pem, or DENO_CERT=ca.pem"
      }`,
      { cause: err },
    );
  }
  if (text.includes("ACCESS-REFUSED") || text.includes("ACCESS_REFUSED")) {
    return new ConnectionError(
      `RabbitMQ at ${redactUrl(url)} refused the login: check the user and password in the URL`,
      { cause: err },
    );
  }
  if (text.includes("NOT-ALLOWED") && text.includes("vhost")) {
    return new ConnectionError(
      `RabbitMQ at ${redactUrl(url)} refused the virtual host: check the path of the URL`,
      { cause: err },
    );
  }
  return undefined;
}

/** A supervised connection; see the module documentation. */
export class BrokerConnection {
  readonly #urls: readonly string[];
  readonly #options: ConnectionOptions;
  readonly #log: Logger;
  readonly #setup: SessionSetup;
  readonly #closing = new AbortController();
  readonly #lostListeners = new Set<(err: Error) => void>();
  readonly #failedListeners = new Set<(err: Error) => void>();
  #session: Session | undefined;
  #generation = 0;
  #nextUrl = 0;
  #up = Promise.withResolvers<Session>();
  #reconnecting = false;

  private constructor(options: ConnectionOptions, setup: SessionSetup) {
    if (options.urls.length === 0) {
      throw new ConfigError("Cannot connect as no broker URL was given: give amqp://host:port");
    }
    this.#urls = options.urls;
    this.#options = options;
    this.#log = options.logger ?? silentLogger;
    this.#setup = setup;
    this.#up.promise.catch(() => {});
  }

  /**
   * Connects to the first broker that answers and runs `setup` on the connection; rejects with a
   * {@linkcode ConnectionError} when every URL failed `connectAttempts` times.
   */
  static async open(options: ConnectionOptions, setup: SessionSetup): Promise<BrokerConnection> {
    const connection = new BrokerConnection(options, setup);
    const rounds = options.connectAttempts ?? 3;
    await connection.#connectLoop(rounds * options.urls.length);
    return connection;
  }

  /** Whether the connection is closing or closed on purpose. */
  get closing(): boolean {
    return this.#closing.signal.aborted;
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

  /** The live session; while reconnecting, waits up to `timeoutMs` for the next one. */
  ready(timeoutMs: number): Promise<Session> {
    if (this.#session) return Promise.resolve(this.#session);
    if (this.closing) {
      return Promise.reject(new ConnectionError("The connection to RabbitMQ is closed"));
    }
    return withTimeout(
      this.#up.promise,
      timeoutMs,
      () =>
        new ConnectionError(
          `Not connected to RabbitMQ after waiting ${timeoutMs} ms: the broker at ${
            this.#urls.map(redactUrl).join(", ")
          } does not answer`,
        ),
    );
  }

  /** Closes the connection for good; pending {@linkcode ready} calls reject. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.#closing.abort();
    this.#up.reject(new ConnectionError("The connection to RabbitMQ was closed"));
    const session = this.#session;
    this.#session = undefined;
    if (session) await session.model.close().catch(() => {});
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
        const delay = backoffCeiling(attempt, CONNECT_BACKOFF);
        this.#log.warn("connection.retry", { url: redactUrl(url), error: reason, attempt, delay });
        if (attempt < maxAttempts) {
          await pause(delay * (0.5 + Math.random() / 2), this.#closing.signal);
        }
      }
    }
    if (this.closing) throw new ConnectionError("The connection to RabbitMQ was closed");
    const detail = [...errors].map(([url, reason]) => `${url} (${reason})`).join(", ");
    throw new ConnectionError(
      `Cannot connect to RabbitMQ at ${detail}: is it running there? Point AMQP_URL or --url at a broker that is`,
    );
  }

  async #connectOnce(url: string): Promise<void> {
    const model = await amqp.connect(withHeartbeat(url, this.#options.heartbeat ?? 15), {
      clientProperties: { connection_name: this.#options.name ?? "warren" },
      timeout: CONNECT_TIMEOUT_MS,
    });
    const generation = ++this.#generation;
    model.on("error", (err: Error) => {
      this.#log.warn("connection.error", {
        url: redactUrl(url),
        error: redactText(describeError(err), this.#urls),
      });
    });
    model.on("blocked", (reason: string) => this.#log.warn("connection.blocked", { reason }));
    model.on("unblocked", () => this.#log.info("connection.unblocked"));
    model.on("close", (err?: Error) => this.#onClose(model, err));
    try {
      await this.#setup(model, generation);
    } catch (err) {
      await model.close().catch(() => {});
      throw err;
    }
    if (this.closing) {
      await model.close().catch(() => {});
      return;
    }
    const session = { model, generation };
    this.#session = session;
    this.#up.resolve(session);
    this.#log.info("connection.up", { url: redactUrl(url), generation });
  }

  #onClose(model: ChannelModel, err: Error | undefined): void {
    if (this.closing || this.#session?.model !== model) return;
    this.#session = undefined;
    this.#up = Promise.withResolvers<Session>();
    this.#up.promise.catch(() => {});
    const error = new ConnectionError(
      `Lost the connection to RabbitMQ: ${redactText(describeError(err ?? "closed"), this.#urls)}`,
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
        while (!this.closing && !this.#session) {
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
