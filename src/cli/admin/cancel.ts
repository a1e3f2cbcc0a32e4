/**
 * `admin.ts cancel ID...`: asks every worker of a work queue not to run these tasks, or to stop
 * running them, through the stream `Q.control`.
 *
 * @module
 */
import { stringifyJson } from "../../util/json.ts";
import { booleanFlag, parseFlags, sinceFlag, stringFlag } from "../shared/args.ts";
import { brokerSettings } from "../shared/broker_flags.ts";
import { EXIT_NO_RESULT, EXIT_OK, EXIT_USAGE, UsageError } from "../shared/exit.ts";
import { connectAdmin, PROGRAM, URL_QUEUE_HELP } from "./common.ts";
import { formatCancels } from "./history_format.ts";

/** Help of `admin.ts cancel`. */
export const CANCEL_HELP = `Cancels tasks of the work queue Q by id, from any machine: a task
still queued or delayed is never run (the worker that gets it dead-letters it with reason
'cancelled', or drops it with --drop); a running one has its abort signal fired (a task on a
worker thread that does not stop by itself is ended a second later) and is dead-lettered.

The request goes to the stream Q.control, which every worker reads when it starts (the cancels
of the last 7 days, by default) and follows while it runs: it reaches workers started later,
and outlives a broker restart. Each id is first checked in the history (Q.events): a task that
has finished, or that the history does not know, is reported and not cancelled. A queue with no
history is cancelled unchecked.

Usage: ${PROGRAM} cancel ID... [options]

Options:
  --drop              drop the tasks rather than dead-letter them
  --unchecked         cancel without checking the ids in the history (tasks whose producer
                      records no history)
  --since WHEN        read the history from this time to check the ids (see '${PROGRAM} task
                      --help')
  --json              one JSON array: [{"id", "outcome", "state", "checked"}], outcome one of
                      requested, finished, unknown
${URL_QUEUE_HELP}
  -h, --help          show this help

Exit status: 0 when every cancel was requested, 3 when a task had already finished, 2 when an
id is unknown (or on bad usage), 1 on broker errors.`;

/** Runs `admin.ts cancel` with the arguments after `cancel`. */
export async function cancelCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    string: ["url", "queue", "since"],
    boolean: ["help", "json", "drop", "unchecked"],
    alias: { help: "h" },
  }, "for 'cancel'");
  if (flags.help) {
    console.log(CANCEL_HELP);
    return EXIT_OK;
  }
  if (positionals.length === 0) throw new UsageError("'cancel' needs at least one task id");
  const since = stringFlag(flags, "since") === undefined
    ? {}
    : { since: sinceFlag(flags, "since", 0) };
  const admin = await connectAdmin(brokerSettings(flags));
  try {
    const reports = await admin.cancel(positionals, {
      ...since,
      ...(booleanFlag(flags, "drop") ? { drop: true } : {}),
      ...(booleanFlag(flags, "unchecked") ? { unchecked: true } : {}),
    });
    console.log(booleanFlag(flags, "json") ? stringifyJson(reports) : formatCancels(reports));
    if (reports.some((r) => r.outcome === "unknown")) return EXIT_USAGE;
    return reports.some((r) => r.outcome === "finished") ? EXIT_NO_RESULT : EXIT_OK;
  } finally {
    await admin.close();
  }
}
