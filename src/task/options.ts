/**
 * The options of a task contract, which tune how workers run it, with their defaults.
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";
import { checkNumber } from "../util/numbers.ts";
import { type BackoffOptions, resolveBackoff } from "../util/backoff.ts";

/** Options that tune how a task is run; each has a default. */
export interface TaskOptions {
  /**
   * How many times a failed attempt is retried before the task is dead-lettered.
   * @default {3}
   */
  retries?: number;
  /**
   * Delays between attempts (exponential, with jitter).
   * @default {{ base: 1000, max: 60000 }}
   */
  backoff?: BackoffOptions;
  /**
   * Time limit of one attempt in milliseconds; the handler's signal fires when it passes. It must
   * stay below the broker's `consumer_timeout` (30 minutes by default).
   * @default {600000}
   */
  timeout?: number;
  /**
   * CPU-heavy: a worker started with threads runs this task's handler in a thread (a Web
   * Worker), so that the main thread keeps heartbeats and acks flowing; at the time limit the
   * thread is terminated. Such a handler must be loadable from its module alone.
   * @default {false}
   */
  cpu?: boolean;
  /**
   * The priority of the task's messages when an enqueue gives none (0 to 255; a classic work
   * queue needs `maxPriority` for it, a quorum queue RabbitMQ 4: 0 to 31 on 4.3, where a task
   * without one counts as 4; on 4.0 to 4.2 above 4 is its high level).
   * @default {none}
   */
  priority?: number;
  /**
   * How long after its enqueue the task may still start, in milliseconds, when an enqueue gives
   * no `expires`: a worker that gets it later dead-letters it unrun, with reason `expired`.
   * @default {never expires}
   */
  expires?: number;
  /**
   * A rate limit that holds across every worker of the work queue: at most `perSecond` tasks of
   * this name start per second, after a `burst`. Tasks over the limit wait in the broker (see
   * the README's "Flow control"). Not with `key`.
   * @default {none}
   */
  rateLimit?: RateLimit;
  /**
   * How many tasks of one key (see `TaskSpec.key`) may run at once, across every worker. With 1,
   * they run one at a time, in the order they were enqueued, retries included.
   * @default {1}
   */
  keyConcurrency?: number;
}

/** A rate limit across every worker: see {@linkcode TaskOptions.rateLimit}. */
export interface RateLimit {
  /** Tasks that may start per second, on average (more than 0, at most 10000). */
  perSecond: number;
  /**
   * Tasks that may start at once after a quiet time: the size of the token bucket.
   * @default {perSecond, rounded up}
   */
  burst?: number;
}

/** Picks a task's key out of its payload as it travels (the JSON body, without `task`). */
export type KeySelector = (payload: Readonly<Record<string, unknown>>) => unknown;

/** Task options with every default filled in. */
export interface ResolvedTaskOptions {
  /** How many times a failed attempt is retried. */
  readonly retries: number;
  /** Delays between attempts. */
  readonly backoff: Readonly<Required<BackoffOptions>>;
  /** Time limit of one attempt in milliseconds. */
  readonly timeout: number;
  /** Whether the handler runs in a thread when the worker has threads. */
  readonly cpu: boolean;
  /** The default priority, if any. */
  readonly priority: number | undefined;
  /** The default time to expiry in milliseconds, if any. */
  readonly expires: number | undefined;
  /** The rate limit, if any. */
  readonly rateLimit: Readonly<Required<RateLimit>> | undefined;
  /** How many tasks of one key may run at once (with a key). */
  readonly keyConcurrency: number;
}

/** The highest rate limit: 10,000 tasks a second. */
export const MAX_RATE = 10_000;

/** Checks a rate limit; `action` says what was being done, for errors. */
export function resolveRateLimit(limit: RateLimit, action: string): Required<RateLimit> {
  if (typeof limit !== "object" || limit === null) {
    throw new ConfigError(
      `Cannot ${action} as 'rateLimit' must be an object { perSecond, burst? }`,
    );
  }
  const perSecond = checkNumber(limit.perSecond, "rateLimit.perSecond", action, {
    integer: false,
    min: 0.001,
    max: MAX_RATE,
  });
  const burst = checkNumber(limit.burst ?? Math.ceil(perSecond), "rateLimit.burst", action, {
    min: 1,
    max: 100_000,
  });
  return { perSecond, burst };
}

/** The default time limit of one attempt: ten minutes. */
export const DEFAULT_TIMEOUT_MS = 600_000;

/** The default number of retries after a failed attempt. */
export const DEFAULT_RETRIES = 3;

/** Fills in the defaults of `options` and checks them; `task` names the task in errors. */
export function resolveTaskOptions(options: TaskOptions, task: string): ResolvedTaskOptions {
  const action = `define task '${task}'`;
  const retries = checkNumber(options.retries ?? DEFAULT_RETRIES, "retries", action, { min: 0 });
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new ConfigError(
      `Cannot ${action} as 'timeout' must be a positive number of milliseconds: current value is ${timeout}`,
    );
  }
  const priority = options.priority === undefined
    ? undefined
    : checkNumber(options.priority, "priority", action, { min: 0, max: 255 });
  const expires = options.expires === undefined
    ? undefined
    : checkNumber(options.expires, "expires", action, { integer: false, min: 1 });
  const rateLimit = options.rateLimit === undefined
    ? undefined
    : Object.freeze(resolveRateLimit(options.rateLimit, action));
  const keyConcurrency = checkNumber(options.keyConcurrency ?? 1, "keyConcurrency", action, {
    min: 1,
    max: 64,
  });
  return {
    rateLimit,
    keyConcurrency,
    retries,
    timeout,
    backoff: resolveBackoff(options.backoff, `task '${task}'`),
    cpu: options.cpu ?? false,
    priority,
    expires,
  };
}
