/**
 * The history flags that the producer and worker CLIs share: `--history` and its retention.
 *
 * @module
 */
import type { HistoryOptions } from "../../history/options.ts";
import { booleanFlag, durationFlag, integerFlag, type ParsedArgs } from "./args.ts";

/** The string flags of the history. */
export const HISTORY_STRING_FLAGS = ["history-max-age", "history-max-bytes"] as const;

/** Help lines of the history flags. */
export const HISTORY_HELP =
  `  --history           record each task's lifecycle in the stream Q.events (see
                      'admin.ts task --help'); off by default: it costs throughput
  --history-max-age DURATION
                      how long Q.events keeps events, and Q.control cancels, when this
                      process declares them (default 7d)
  --history-max-bytes N
                      most bytes Q.events holds (default 1000000000)`;

/** The history options that the flags give. */
export function historyFlags(flags: ParsedArgs["flags"]): HistoryOptions {
  return {
    history: booleanFlag(flags, "history"),
    ...(flags["history-max-age"] === undefined
      ? {}
      : { historyMaxAge: durationFlag(flags, "history-max-age", 0) }),
    ...(flags["history-max-bytes"] === undefined
      ? {}
      : { historyMaxBytes: integerFlag(flags, "history-max-bytes", 0, 1_000_000) }),
  };
}
