/**
 * The history flags that the producer, worker and scheduler CLIs share: `--no-history` (the
 * history is on by default; `--history` says so explicitly) and its retention.
 *
 * @module
 */
import type { HistoryOptions } from "../../history/options.ts";
import { UsageError } from "./exit.ts";
import { booleanFlag, durationFlag, integerFlag, type ParsedArgs } from "./args.ts";

/** The boolean flags of the history. */
export const HISTORY_BOOLEAN_FLAGS = ["history", "no-history"] as const;

/** The string flags of the history. */
export const HISTORY_STRING_FLAGS = ["history-max-age", "history-max-bytes"] as const;

/** Help lines of the history flags. */
export const HISTORY_HELP =
  `  --no-history        do not record each task's lifecycle in the stream Q.events
                      (recorded by default, see 'admin.ts task --help'; --history says so)
  --history-max-age DURATION
                      how long Q.events keeps events, and Q.control cancels, when this
                      process declares them (default 7d)
  --history-max-bytes N
                      most bytes Q.events holds (default 1000000000)`;

/** The history options that the flags give. */
export function historyFlags(flags: ParsedArgs["flags"]): HistoryOptions {
  const off = booleanFlag(flags, "no-history");
  if (off && booleanFlag(flags, "history")) {
    throw new UsageError("--history and --no-history contradict each other: give one");
  }
  return {
    history: !off,
    ...(flags["history-max-age"] === undefined
      ? {}
      : { historyMaxAge: durationFlag(flags, "history-max-age", 0) }),
    ...(flags["history-max-bytes"] === undefined
      ? {}
      : { historyMaxBytes: integerFlag(flags, "history-max-bytes", 0, 1_000_000) }),
  };
}
