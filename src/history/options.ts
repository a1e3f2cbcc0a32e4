/**
 * The options of the task history and of cancels, shared by producers, workers and the admin
 * tools, with their defaults.
 *
 * @module
 */
import type { StreamRetention } from "../broker/topology.ts";
import { checkNumber } from "../util/numbers.ts";

/** Options of the task history (`Q.events`) and the cancels (`Q.control`). */
export interface HistoryOptions {
  /**
   * Record each task's lifecycle in the stream `Q.events` (enqueued, started, progress,
   * retried, succeeded, dead, expired, cancelled), so that it can be looked up, and its result
   * fetched, later and from anywhere. `false` turns it off.
   * @default {true}
   */
  history?: boolean;
  /**
   * How long the history keeps events, in milliseconds (also how long cancels are kept in
   * `Q.control`). Declared with the streams: a stream that exists keeps its own retention.
   * @default {604800000: 7 days}
   */
  historyMaxAge?: number;
  /**
   * How many bytes the history may hold; older events go first.
   * @default {1000000000: 1 GB}
   */
  historyMaxBytes?: number;
}

/** {@linkcode HistoryOptions}, checked, with the defaults filled in. */
export interface ResolvedHistory {
  /** Whether events are recorded. */
  readonly enabled: boolean;
  /** The retention of `Q.events`. */
  readonly events: StreamRetention;
  /** The retention of `Q.control`. */
  readonly control: StreamRetention;
}

/** Default of {@linkcode HistoryOptions.historyMaxAge}: 7 days. */
export const DEFAULT_HISTORY_MAX_AGE_MS = 7 * 24 * 3600_000;
/** Default of {@linkcode HistoryOptions.historyMaxBytes}: 1 GB. */
export const DEFAULT_HISTORY_MAX_BYTES = 1_000_000_000;
/** Bytes `Q.control` may hold: about a million cancels. */
export const CONTROL_MAX_BYTES = 200_000_000;

/** Checks `options` and fills in the defaults; `action` is what an error says was refused. */
export function resolveHistory(options: HistoryOptions, action: string): ResolvedHistory {
  const maxAgeMs = checkNumber(
    options.historyMaxAge ?? DEFAULT_HISTORY_MAX_AGE_MS,
    "historyMaxAge",
    action,
    { min: 1000 },
  );
  const maxBytes = checkNumber(
    options.historyMaxBytes ?? DEFAULT_HISTORY_MAX_BYTES,
    "historyMaxBytes",
    action,
    { min: 1_000_000 },
  );
  return {
    enabled: options.history ?? true,
    events: { maxAgeMs, maxBytes },
    control: { maxAgeMs, maxBytes: CONTROL_MAX_BYTES },
  };
}
