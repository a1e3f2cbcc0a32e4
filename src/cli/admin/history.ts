/**
 * `admin.ts task ID`, `admin.ts tasks` and `admin.ts result ID`: the tasks' history, read from
 * the stream `Q.events`.
 *
 * @module
 */
import type { Admin } from "../../admin/admin.ts";
import { UnknownIdError } from "../../errors/unknown_id_error.ts";
import { lookupStart } from "../../history/lookup.ts";
import { TASK_STATES, type TaskState } from "../../history/timeline.ts";
import { stringifyJson } from "../../util/json.ts";
import {
  booleanFlag,
  choiceFlag,
  durationFlag,
  integerFlag,
  type ParsedArgs,
  parseFlags,
  sinceFlag,
  stringFlag,
} from "../shared/args.ts";
import { brokerSettings } from "../shared/broker_flags.ts";
import { EXIT_NO_RESULT, EXIT_OK, UsageError } from "../shared/exit.ts";
import { connectAdmin, PROGRAM, URL_QUEUE_HELP } from "./common.ts";
import { describeState } from "../../history/describe.ts";
import { formatTask, formatTasks } from "./history_format.ts";
import { printable, printableJson } from "./format.ts";
import { skippedInWords } from "../../history/skipped.ts";

const SINCE_HELP =
  `  --since WHEN        read the history from this time: a duration back from now (30m, 2h,
                      7d) or an ISO 8601 time`;

const LOOKUP_NOTE =
  `A Warren task id begins with the time it was made, so a lookup reads the history from that
time (less 5 minutes for clocks that differ); other ids (UUIDs, ids of your own) are read from
--since, else from the oldest event kept.`;

/** Help of `admin.ts task`. */
export const TASK_HELP = `Shows one task as the history (Q.events) tells it: its state
(queued, delayed, running with its progress, retrying, succeeded, dead, expired or cancelled),
its result or error, and every event in order: enqueued, started, progress, retried, returned,
succeeded, dead, expired, cancelled, with attempt, worker and detail.

Usage: ${PROGRAM} task ID [options]

Options:
${SINCE_HELP} (default: see below)
  --full              print long texts (errors, results, payloads) whole; by default each is
                      cut to 500 characters, with a marker
  --json              the task's record as one JSON object, events included, texts whole
${URL_QUEUE_HELP}
  -h, --help          show this help

${LOOKUP_NOTE}
Events that cannot be read (over 1 MiB, nested over 66 levels, not of the event format) are
skipped, and a note says how many. Terminal control characters are printed as escapes (\x1b).
Exit status: 0 on success, 1 on broker errors, 2 on bad usage, an unknown id, or a queue with
no history.`;

/** Help of `admin.ts tasks`. */
export const TASKS_HELP = `Lists the tasks of the history (Q.events) with events since a time,
the most recently updated first: id, task, state, attempts, when enqueued and updated, and the
last error or progress.

Usage: ${PROGRAM} tasks [options]

Options:
  --state S           only tasks in state S: ${TASK_STATES.join(", ")}
  --task NAME         only tasks named NAME
${SINCE_HELP} (default 1h)
  --limit N           at most N tasks (default 100)
  --json              one JSON array of the tasks' records (a note of skipped events goes to
                      stderr)
${URL_QUEUE_HELP}
  -h, --help          show this help

Errors and results are cut to 2000 characters here ('${PROGRAM} task ID --full' prints one
whole); events that cannot be read are skipped, and a note says how many.
Exit status: 0 on success (also when none match), 1 on broker errors, 2 on bad usage or a queue
with no history.`;

/** Help of `admin.ts result`. */
export const RESULT_HELP = `Prints the result of a finished task, from the history (Q.events):
its result as JSON on stdout when it succeeded; why it did not (dead, expired, cancelled) on
stderr otherwise. It works from any machine, after the producer that enqueued the task is gone.

Usage: ${PROGRAM} result ID [options]

Options:
  --wait DURATION     wait this long for a task that has not finished (default: do not wait)
${SINCE_HELP} (default: see '${PROGRAM} task --help')
  --json              the outcome as one JSON object: {"id", "task", "ok", "result"} or
                      {"id", "task", "ok": false, "reason", "error"}
${URL_QUEUE_HELP}
  -h, --help          show this help

Exit status: 0 when the task succeeded, 3 when it ended without a result (dead, expired,
cancelled) or has not finished (in --wait), 1 on broker errors, 2 on bad usage, an unknown id,
or a queue with no history.`;

export function sinceOf(flags: ParsedArgs["flags"]): { since?: Date } {
  return stringFlag(flags, "since") === undefined ? {} : { since: sinceFlag(flags, "since", 0) };
}

/** Where a lookup of `id` began, in words, for the error of an unknown id. */
export function startInWords(id: string, since: Date | undefined): string {
  const start = lookupStart(id, since);
  if (start instanceof Date) {
    return since ? start.toISOString() : `${start.toISOString()}, 5 minutes before its id's time`;
  }
  return "the oldest event kept";
}

/** The one id a command takes. */
export function oneId(positionals: readonly string[], command: string): string {
  if (positionals.length === 0) throw new UsageError(`'${command}' needs a task id`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  return positionals[0]!;
}

export async function withAdmin<T>(
  flags: ParsedArgs["flags"],
  run: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = await connectAdmin(brokerSettings(flags));
  try {
    return await run(admin);
  } finally {
    await admin.close();
  }
}

export const LOOKUP_FLAGS = { string: ["url", "queue", "since"], boolean: ["help", "json"] };

/** Runs `admin.ts task` with the arguments after `task`. */
export async function taskCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    string: LOOKUP_FLAGS.string,
    boolean: [...LOOKUP_FLAGS.boolean, "full"],
    alias: { help: "h" },
  }, "for 'task'");
  if (flags.help) {
    console.log(TASK_HELP);
    return EXIT_OK;
  }
  const id = oneId(positionals, "task");
  const since = sinceOf(flags);
  return await withAdmin(flags, async (admin) => {
    const record = await admin.task(id, since);
    if (!record) throw new UnknownIdError(id, admin.names.main, startInWords(id, since.since));
    console.log(
      booleanFlag(flags, "json")
        ? printableJson(stringifyJson(record))
        : formatTask(record, admin.names.main, { full: booleanFlag(flags, "full") }),
    );
    return EXIT_OK;
  });
}

/** Runs `admin.ts tasks` with the arguments after `tasks`. */
export async function tasksCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    string: [...LOOKUP_FLAGS.string, "state", "task", "limit"],
    boolean: LOOKUP_FLAGS.boolean,
    alias: { help: "h" },
  }, "for 'tasks'");
  if (flags.help) {
    console.log(TASKS_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const since = sinceFlag(flags, "since", 3_600_000);
  const state = stringFlag(flags, "state") === undefined
    ? undefined
    : choiceFlag<TaskState>(flags, "state", TASK_STATES, "queued");
  const task = stringFlag(flags, "task");
  const limit = integerFlag(flags, "limit", 100, 1);
  return await withAdmin(flags, async (admin) => {
    const list = await admin.tasks({
      since,
      limit,
      ...(state ? { state } : {}),
      ...(task ? { task } : {}),
    });
    if (booleanFlag(flags, "json")) {
      const tasks = list.tasks.map(({ events: _events, ...record }) => record);
      console.log(printableJson(stringifyJson(tasks)));
      if (list.skipped.count > 0) {
        console.error(
          printable(`note: ${skippedInWords(list.skipped)} (events that could not be read)`),
        );
      }
    } else {
      const which = [state, task].filter(Boolean).join(" ");
      const heading = `Tasks${
        which ? ` (${which})` : ""
      } of '${admin.names.main}' since ${since.toISOString()}`;
      console.log(formatTasks(list, heading));
    }
    return EXIT_OK;
  });
}

/** Runs `admin.ts result` with the arguments after `result`. */
export async function resultCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    string: [...LOOKUP_FLAGS.string, "wait"],
    boolean: LOOKUP_FLAGS.boolean,
    alias: { help: "h" },
  }, "for 'result'");
  if (flags.help) {
    console.log(RESULT_HELP);
    return EXIT_OK;
  }
  const id = oneId(positionals, "result");
  const since = sinceOf(flags);
  const wait = durationFlag(flags, "wait", 0);
  const json = booleanFlag(flags, "json");
  return await withAdmin(flags, async (admin) => {
    const outcome = await admin.result(id, { ...since, timeout: wait });
    if (!outcome) {
      const record = await admin.task(id, since);
      if (!record) throw new UnknownIdError(id, admin.names.main, startInWords(id, since.since));
      console.error(printable(`task ${id} has not finished: ${describeState(record)}`));
      return EXIT_NO_RESULT;
    }
    if (json) console.log(printableJson(stringifyJson(outcome)));
    else if (outcome.ok) console.log(printableJson(stringifyJson(outcome.result)));
    else console.error(printable(`task ${id} has no result: ${outcome.reason}: ${outcome.error}`));
    return outcome.ok ? EXIT_OK : EXIT_NO_RESULT;
  });
}
