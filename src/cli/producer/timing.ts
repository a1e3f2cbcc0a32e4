/**
 * The producer CLI's flags of time and order: `--delay`, `--at`, `--expires` and `--priority`.
 *
 * @module
 */
import type { PrepareOptions } from "../../task/prepare.ts";
import { integerFlag, type ParsedArgs, parseDurationFlag, stringFlag } from "../shared/args.ts";
import { UsageError } from "../shared/exit.ts";

const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * A time written as a flag's value, in ISO 8601 (`2026-12-24T18:00:00Z`, `2026-12-24T18:00+01:00`,
 * `2026-12-24`; without a zone, the machine's local time); else a {@linkcode UsageError}.
 */
export function parseTimeFlag(name: string, text: string): Date {
  const time = ISO_TIME.test(text.trim()) ? new Date(text.trim()) : undefined;
  if (time === undefined || !Number.isFinite(time.getTime())) {
    throw new UsageError(
      `--${name} must be an ISO 8601 time such as 2026-12-24T18:00:00Z or 2026-12-24T18:00+01:00: got '${text}'`,
    );
  }
  return time;
}

/** The timing of every task the CLI publishes, from `--delay`, `--at`, `--expires`, `--priority`. */
export function timingFlags(flags: ParsedArgs["flags"]): PrepareOptions {
  const delay = stringFlag(flags, "delay");
  const at = stringFlag(flags, "at");
  const expires = stringFlag(flags, "expires");
  if (delay !== undefined && at !== undefined) {
    throw new UsageError("give --delay or --at, not both");
  }
  const timing: PrepareOptions = {};
  if (delay !== undefined) timing.delay = parseDurationFlag("delay", delay);
  if (at !== undefined) timing.at = parseTimeFlag("at", at);
  if (expires !== undefined) {
    // A duration from now (10m), or a time.
    timing.expires = /^\d/.test(expires) && !/^\d{4}-/.test(expires)
      ? parseDurationFlag("expires", expires)
      : parseTimeFlag("expires", expires);
  }
  if (flags.priority !== undefined) timing.priority = integerFlag(flags, "priority", 0, 0, 255);
  return timing;
}

/** Help lines of the timing flags. */
export const TIMING_HELP =
  `  --delay DURATION    run no sooner than this from now (90s, 10m, 2h, 3d; up to about
                      621 days): the broker holds the task until then
  --at TIME           run no sooner than this ISO 8601 time (2026-12-24T18:00:00Z); a time
                      in the past runs now
  --expires WHEN      a duration from now (10m) or a time: a task not started by then is
                      never run, and is dead-lettered with reason expired
  --priority N        the task's priority (0 to 255): needs --max-priority N on a classic
                      queue, RabbitMQ 4 on a quorum one (above 4: its high level)
  --max-priority N    declare the classic work queue with x-max-priority N (workers too)`;
