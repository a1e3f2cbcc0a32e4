/**
 * The options of a producer and of one enqueue, with their defaults.
 *
 * @module
 */
import type { BrokerOptions, ResolvedBroker } from "../broker/options.ts";
import { resolveBrokerOptions, resolveMaxPriority } from "../broker/options.ts";
import { optionKeys, refuseUnknownOptions } from "../util/option_keys.ts";
import { checkNumber } from "../util/numbers.ts";
import { checkPartitions, DEFAULT_PARTITIONS } from "../flow/partitions.ts";
import { DEFAULT_MAX_BYTES } from "../wire/task_codec.ts";
import { type HistoryOptions, type ResolvedHistory, resolveHistory } from "../history/options.ts";

/** Options of `Producer.connect`. */
export interface ProducerOptions extends BrokerOptions, HistoryOptions {
  /**
   * Most messages published and not yet confirmed; further publishes wait for room.
   * @default {1000}
   */
  window?: number;
  /**
   * How many times a publish the broker nacked is sent again before it fails (after 250 ms,
   * doubling up to 4 s): a quorum queue nacks publishes while it elects a new leader (after its
   * leader's node went down), and a full queue with `x-overflow: reject-publish` until it has
   * room. 0 fails at the first nack; the default keeps trying for about half a minute. On a
   * quorum queue, 3 nacks in a row also move the producer to a new channel.
   * @default {10}
   */
  nackRetries?: number;
  /**
   * How long a publish waits for a connection while the broker is unreachable, in milliseconds.
   * @default {30000}
   */
  connectTimeout?: number;
  /**
   * Declare a classic work queue with `x-max-priority` (1 to 255), so that tasks may have
   * priorities up to it; workers must be given the same. (A quorum queue needs none: on
   * RabbitMQ 4.3 it has 32 strict levels, 0 to 31; on 4.0 to 4.2 two, normal for 0 to 4 and
   * high above.)
   * @default {none: priorities are refused on a classic queue}
   */
  maxPriority?: number;
  /**
   * Largest message body sent, in bytes: a larger task is refused (`ValidationError`), as
   * workers with the same limit would dead-letter it unread (`too-large`).
   * @default {4194304}
   */
  maxMessageBytes?: number;
  /**
   * How many key partitions (`Q.part.<i>`) keyed tasks are spread over. Every producer and
   * worker of a work queue must use the same count: a key's tasks keep their order only within
   * one partition.
   * @default {16}
   */
  partitions?: number;
  /**
   * Listen for task outcomes (RabbitMQ's direct reply-to), so that `Producer.enqueue` can ask
   * for one with `{ result: true }`. Without it, results cost nothing.
   * @default {false}
   */
  results?: boolean;
  /**
   * With `history`, write each task's payload into its `enqueued` event (it is left out by
   * default: payloads can be large, or private).
   * @default {false}
   */
  historyPayloads?: boolean;
}

/**
 * Options of `Producer.enqueue`. `R` says whether the producer listens for results (it was
 * created with `results: true`): without, `result: true` does not compile.
 */
export interface EnqueueOptions<R extends boolean = boolean> {
  /**
   * Run the task no sooner than this many milliseconds from now (up to about 621 days); until
   * then the broker holds it in the delay levels.
   * @default {0: at once}
   */
  delay?: number;
  /**
   * Run the task no sooner than this time (in the past: at once). Not with `delay`.
   * @default {now}
   */
  at?: Date;
  /**
   * When the task may no longer start: milliseconds from now, or a time. A worker that gets it
   * later dead-letters it unrun, with reason `expired`.
   * @default {the contract's `expires`, else never}
   */
  expires?: number | Date;
  /**
   * The task's priority (see `ProducerOptions.maxPriority`).
   * @default {the contract's `priority`, else none}
   */
  priority?: number;
  /**
   * The message id.
   * @default {a new random id of 22 characters}
   */
  id?: string;
  /**
   * Extra headers.
   * @default {{}}
   */
  headers?: Record<string, unknown>;
  /**
   * Ask the worker for the task's outcome; read it with `Producer.result`. Needs a producer
   * created with `results: true`: on another, `result: true` is a compile-time error.
   * @default {false}
   */
  result?: R extends true ? boolean : false;
}

/** Options of `Producer.result`. */
export interface ResultOptions {
  /**
   * How long to wait for the outcome, in milliseconds.
   * @default {60000}
   */
  timeout?: number;
  /**
   * Hears the task's progress reports while the outcome is awaited in the history (a task
   * awaited through its reply reports none).
   * @default {none}
   */
  onProgress?: (progress: { readonly fraction: number; readonly note?: string }) => void;
}

/** {@linkcode ProducerOptions}, checked, with the defaults filled in. */
export interface ResolvedProducerOptions extends ResolvedBroker {
  /** Most messages published and not yet confirmed. */
  readonly window: number;
  /** Sends of a nacked publish before it fails. */
  readonly nackRetries: number;
  /** How long a publish waits for a connection, in milliseconds. */
  readonly connectTimeout: number;
  /** Whether outcomes are listened for. */
  readonly results: boolean;
  /** Largest body sent. */
  readonly maxMessageBytes: number;
  /** The number of key partitions. */
  readonly partitions: number;
  /** The classic work queue's `x-max-priority`, if any. */
  readonly maxPriority: number | undefined;
  /** The history's settings. */
  readonly history: ResolvedHistory;
  /** Whether `enqueued` events carry the payload. */
  readonly historyPayloads: boolean;
}

/** Every key of {@linkcode ProducerOptions} (checked at compile time). */
const PRODUCER_OPTION_KEYS = optionKeys<ProducerOptions>()([
  "url",
  "queue",
  "queueType",
  "logger",
  "history",
  "historyMaxAge",
  "historyMaxBytes",
  "window",
  "nackRetries",
  "connectTimeout",
  "maxPriority",
  "maxMessageBytes",
  "partitions",
  "results",
  "historyPayloads",
]);

/** Default of {@linkcode ProducerOptions.window}. */
export const DEFAULT_WINDOW = 1000;
/** Default of {@linkcode ProducerOptions.nackRetries}. */
export const DEFAULT_NACK_RETRIES = 10;
/** Default of {@linkcode ProducerOptions.connectTimeout}. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** Default of {@linkcode ResultOptions.timeout}. */
export const DEFAULT_RESULT_TIMEOUT_MS = 60_000;

/** Checks `options` and fills in the defaults; throws a `ConfigError` naming the bad option. */
export function resolveProducerOptions(options: ProducerOptions): ResolvedProducerOptions {
  const action = "start producer";
  refuseUnknownOptions(options, PRODUCER_OPTION_KEYS, action);
  return {
    ...resolveBrokerOptions(options),
    window: checkNumber(options.window ?? DEFAULT_WINDOW, "window", action, { min: 1 }),
    nackRetries: checkNumber(
      options.nackRetries ?? DEFAULT_NACK_RETRIES,
      "nackRetries",
      action,
      { min: 0 },
    ),
    connectTimeout: checkNumber(
      options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
      "connectTimeout",
      action,
      { integer: false, min: 0 },
    ),
    results: options.results ?? false,
    history: resolveHistory(options, action),
    historyPayloads: options.historyPayloads ?? false,
    maxPriority: resolveMaxPriority(options, action),
    partitions: checkPartitions(options.partitions ?? DEFAULT_PARTITIONS, action),
    maxMessageBytes: checkNumber(
      options.maxMessageBytes ?? DEFAULT_MAX_BYTES,
      "maxMessageBytes",
      action,
      { min: 1 },
    ),
  };
}
