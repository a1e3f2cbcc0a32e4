/**
 * The scheduler CLI: runs the schedules of a JSON file until SIGINT or SIGTERM, as one replica
 * of any number (exactly one is active at a time).
 *
 * @module
 */
import { Scheduler } from "../../scheduler/scheduler.ts";
import type { Catalog } from "../../task/catalog.ts";
import { createLogger, LOG_LEVELS, type LogFormat } from "../../util/logger.ts";
import { choiceFlag, durationFlag, integerFlag, parseFlags, stringFlag } from "../shared/args.ts";
import { BROKER_HELP, BROKER_STRING_FLAGS, brokerSettings } from "../shared/broker_flags.ts";
import {
  HISTORY_BOOLEAN_FLAGS,
  HISTORY_HELP,
  HISTORY_STRING_FLAGS,
  historyFlags,
} from "../shared/history_flags.ts";
import { EXIT_OK, fatal, UsageError } from "../shared/exit.ts";
import { readSchedulesFile } from "../shared/schedules_file.ts";
import { onStopSignals } from "../shared/signals.ts";

/** The scheduler CLI's name in messages. */
export const PROGRAM = "scheduler.ts";

const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

const HELP = `Enqueues the tasks of the schedules in a JSON file when they are due. Run as many
replicas as you like: exactly one is active at a time, chosen through the broker (it holds the
exclusive queue Q.scheduler); the others stand by and say who leads. Stopped (SIGTERM, SIGINT),
the active one finishes its fire in flight and hands over: it records the handover in the
broker, frees Q.scheduler and wakes a standby, which takes over at once and makes every fire due
since the last one. When the active one dies, another takes over within about a second and
applies each schedule's 'missed' policy. A fire the broker refuses (its queue was deleted) is
logged (schedule.refused) and tried again with the same id, 0.5 s then doubling up to 30 s.

Usage: ${PROGRAM} --file schedules.json [options]

The file holds an array of schedules:
  [{"name": "nightly-report", "task": "sum", "payload": {"start": 1, "end": 10},
    "cron": "0 2 * * *", "tz": "Europe/Berlin", "missed": "once"},
   {"name": "tick", "task": "sleep", "payload": {"ms": 1}, "every": "1s", "missed": "skip"}]
  cron     5 fields, or 6 with seconds first; tz an IANA time zone (default UTC)
  every    a whole number of seconds (1s, 10m, 2h) instead of cron
  missed   what a new active scheduler does with fires nobody made after an outage: skip
           (default) or once (one catch-up fire); after a handover all of them are made
Each fire's task has the id <name>@<fire time, ISO 8601 UTC>.

Options:
  --file PATH         the schedules (needs --allow-read=PATH)
  --id ID             this replica's id, in the logs and the state (default scheduler-<pid>)
  --election-interval DURATION
                      how often a replica that is not active tries to take the lead
                      (default 1s)
  --handover-window DURATION
                      how long after a handover a new leader still makes every fire of the
                      gap; a later start counts as an outage (default 30s)
  --max-priority N    the classic work queue's x-max-priority, as producers declare it
  --log-format F      text or json (default text)
  --log-level L       ${LOG_LEVELS.join(", ")} (default info)
${HISTORY_HELP}
${BROKER_HELP}
  -h, --help          show this help

Exit status: 0 after a clean shutdown, 1 on broker errors, 2 on bad usage or a bad file.`;

async function run(catalog: Catalog, args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    string: [
      ...BROKER_STRING_FLAGS,
      "file",
      "id",
      "election-interval",
      "handover-window",
      "max-priority",
      "log-format",
      "log-level",
      ...HISTORY_STRING_FLAGS,
    ],
    boolean: ["help", ...HISTORY_BOOLEAN_FLAGS],
    alias: { help: "h" },
  }, "");
  if (flags.help) {
    console.log(HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const file = stringFlag(flags, "file");
  if (file === undefined) throw new UsageError("give the schedules: --file schedules.json");
  const schedules = await readSchedulesFile(catalog, file);
  const format = choiceFlag(flags, "log-format", LOG_FORMATS, "text");
  const logger = createLogger({
    format,
    level: choiceFlag(flags, "log-level", LOG_LEVELS, "info"),
    color: format === "text" && Deno.stdout.isTerminal() && !Deno.noColor,
  });
  const settings = brokerSettings(flags);
  const id = stringFlag(flags, "id");
  const scheduler = await Scheduler.start(catalog, schedules, {
    url: settings.urls,
    queue: settings.queue,
    queueType: settings.queueType,
    logger,
    electionInterval: durationFlag(flags, "election-interval", 1_000),
    handoverWindow: durationFlag(flags, "handover-window", 30_000),
    ...historyFlags(flags),
    ...(id === undefined ? {} : { id }),
    ...(flags["max-priority"] === undefined
      ? {}
      : { maxPriority: integerFlag(flags, "max-priority", 1, 1, 255) }),
  });
  const removeListeners = onStopSignals(() => scheduler.close());
  try {
    await scheduler.closed;
    return EXIT_OK;
  } finally {
    removeListeners();
    logger.flush?.();
  }
}

/**
 * Runs the scheduler CLI with `args` over `catalog`; returns the exit code. Never throws: errors
 * are printed with their causes.
 */
export async function schedulerMain(catalog: Catalog, args: readonly string[]): Promise<number> {
  try {
    return await run(catalog, args);
  } catch (err) {
    return fatal(err, PROGRAM);
  }
}
