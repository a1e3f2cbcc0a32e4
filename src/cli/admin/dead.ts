/**
 * `admin.ts dead list` and `admin.ts dead replay`: reading dead letters without removing them,
 * and moving them back to the work queue, with the same filters.
 *
 * @module
 */
import { checkFilter, type DeadLetterFilter, describeFilter } from "../../admin/filters.ts";
import { queueNames } from "../../broker/topology.ts";
import { DEAD_REASONS } from "../../wire/dead_reasons.ts";
import {
  booleanFlag,
  integerFlag,
  type ParsedArgs,
  parseFlags,
  stringFlag,
} from "../shared/args.ts";
import { brokerSettings } from "../shared/broker_flags.ts";
import { EXIT_OK, UsageError } from "../shared/exit.ts";
import {
  BROKER_HELP,
  CONFIRM_HELP,
  confirmOrExit,
  connectAdmin,
  PROGRAM,
  requireConfirmable,
  URL_QUEUE_HELP,
} from "./common.ts";
import { terminalIo } from "./confirm.ts";
import { formatDeadLetters, oneLine, printable, printableJson } from "./format.ts";

/** What listing does to the dead letters, for the help (checked on RabbitMQ 3.10). */
const LIST_EFFECT =
  `Nothing is removed: each dead letter is fetched (basic.get, manual ack) and all are given
back at the end with one nack (requeue). On a classic queue (Warren's default) they return to
their places, so the order is unchanged; their redelivered flag is set from then on. On a
quorum queue they go to the back in the order read (listing fewer than all rotates the queue)
and their x-delivery-count goes up by one.`;

/** Help lines of the filters both commands take. */
const FILTER_HELP = `  --task NAME         only dead letters of this task
  --id ID             only the dead letter with this message id
  --reason REASON     only dead letters given up for this reason, one of:
                      ${DEAD_REASONS.join(", ")}`;

/** Help of `admin.ts dead list`. */
export const LIST_HELP =
  `Shows dead letters of Q.dead, oldest first, without removing them: task, id, reason,
attempts, error, when (the last failure, else the time the task was made) and worker.

Usage: ${PROGRAM} dead list [options]

Options:
${FILTER_HELP}
  --limit N           show at most N dead letters (default 20)
  --json              one JSON object: {"queue", "total", "scanned", "messages": [...]},
                      with each message's full error and body
${URL_QUEUE_HELP}
  -h, --help          show this help

${LIST_EFFECT}
Exit status: 0 on success, 1 on broker errors, 2 on bad usage or when Q.dead does not exist.`;

/** Help of `admin.ts dead replay`. */
export const REPLAY_HELP =
  `Moves dead letters of Q.dead back to the work queue Q, to run again from their first attempt:
each copy keeps its message id, body and properties, loses the attempt and failure headers
(x-warren-attempts, -deaths, -reason, -error, -first-failure, -last-failure), and is confirmed
by the broker before its dead letter is removed. Dead letters that do not match the filters
are given back untouched. Prints one line per task replayed, then how many were.

Usage: ${PROGRAM} dead replay [options]

Options:
${FILTER_HELP}
  --limit N           replay at most N (default: every match)
  --yes               do not ask for confirmation
${BROKER_HELP}
  -h, --help          show this help

Only the dead letters present when the command starts are looked at. A task that still cannot
run (an invalid payload, say) goes back to Q.dead with a fresh reason.
${CONFIRM_HELP}
Exit status: 0 on success, 1 on broker errors, 2 on bad usage, when Q.dead does not exist or
when not confirmed.`;

/** The filter of `--task`, `--id` and `--reason`; an unknown reason is a usage error. */
function filterFlags(flags: ParsedArgs["flags"]): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  for (const key of ["task", "id", "reason"] as const) {
    const value = stringFlag(flags, key);
    if (value !== undefined) filter[key] = value;
  }
  return checkFilter(filter);
}

/** Runs `admin.ts dead list` with the arguments after `list`. */
export async function listCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    string: ["url", "queue", "limit", "task", "id", "reason"],
    boolean: ["help", "json"],
    alias: { help: "h" },
  }, "for 'dead list'");
  if (flags.help) {
    console.log(LIST_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const limit = integerFlag(flags, "limit", 20, 1);
  const filter = filterFlags(flags);
  const admin = await connectAdmin(brokerSettings(flags));
  try {
    const list = await admin.listDead({ ...filter, limit });
    console.log(
      booleanFlag(flags, "json") ? printableJson(JSON.stringify(list)) : formatDeadLetters(list),
    );
    return EXIT_OK;
  } finally {
    await admin.close();
  }
}

/** Runs `admin.ts dead replay` with the arguments after `replay`. */
export async function replayCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    string: ["url", "queue", "queue-type", "task", "id", "reason", "limit"],
    boolean: ["help", "yes"],
    alias: { help: "h" },
  }, "for 'dead replay'");
  if (flags.help) {
    console.log(REPLAY_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const settings = brokerSettings(flags);
  const names = queueNames(settings.queue);
  const filter = filterFlags(flags);
  const limit = flags.limit === undefined ? undefined : integerFlag(flags, "limit", 0, 1);
  const yes = booleanFlag(flags, "yes");
  const io = terminalIo();
  const what = describeFilter(filter);
  requireConfirmable(yes, `replay ${what} of ${names.dead}`, io);
  const admin = await connectAdmin(settings);
  try {
    const counts = await admin.requireCounts("dead");
    if (counts.ready === 0) {
      console.log(`replayed 0 dead letters: ${names.dead} is empty`);
      return EXIT_OK;
    }
    const most = limit === undefined ? "" : ` (at most ${limit})`;
    const refused = await confirmOrExit(
      yes,
      `replay ${what}${most} among ${counts.ready} in ${names.dead} to ${names.main}`,
      io,
    );
    if (refused !== undefined) return refused;
    const summary = await admin.replayDead({
      ...filter,
      ...(limit === undefined ? {} : { limit }),
      onReplayed: (letter) =>
        console.log(
          printable(`replayed ${oneLine(letter.task ?? "-", 80)} ${oneLine(letter.id, 80)}`),
        ),
    });
    console.log(
      `replayed ${summary.replayed} dead letter(s) from ${summary.from} to ${summary.to}; ` +
        `${summary.kept} of the ${summary.scanned} looked at did not match and stay in ${summary.from}`,
    );
    return EXIT_OK;
  } finally {
    await admin.close();
  }
}
