/**
 * Help texts of the producer CLI.
 *
 * @module
 */
import type { Catalog } from "../../task/catalog.ts";
import type { AnyContract } from "../../task/contract.ts";
import { BROKER_HELP } from "../shared/broker_flags.ts";
import { HISTORY_HELP } from "../shared/history_flags.ts";
import { PROGRESS_THRESHOLD } from "./progress.ts";
import { type TaskFlag, taskFlags } from "./task_flags.ts";
import { TIMING_HELP } from "./timing.ts";

/** The producer CLI's name in messages. */
export const PROGRAM = "producer.ts";

/** The producer's help: tasks with their flags, options, exit codes. */
export function producerHelp(catalog: Catalog): string {
  const width = Math.max(...catalog.names.map((n) => n.length));
  const tasks = catalog.names.map((name) => {
    const flags = taskFlags(catalog.get(name)!).map((f) => `--${f.flag}`);
    return `  ${name.padEnd(width)}  ${flags.join(" ")}`;
  });
  return `Publishes tasks to a RabbitMQ work queue as persistent messages, and exits once the
broker has confirmed every one.

Usage:
  ${PROGRAM} <task> [--<field> VALUE ...] [--count N]
  ${PROGRAM} <task> --json '<payload object>'
  ${PROGRAM} --json '{"task": "<task>", ...payload}'
  ${PROGRAM} --file tasks.jsonl        (--file - reads standard input)

Tasks ('${PROGRAM} <task> --help' describes the fields):
${tasks.join("\n")}

Options:
  --count N           publish N copies of the task, each with its own id: an integer from 1
                      to 1000000 (default 1)
  --json OBJECT       the payload as JSON; without <task>, a whole task {"task": ...}
  --file PATH         one task per line, {"task":"sum","start":1,"end":10}; every line is
                      checked before anything is published
  --wait              wait for each task's outcome and print it as it arrives (the worker
                      replies through RabbitMQ's direct reply-to; with --history, an outcome
                      whose reply was lost with a connection is read from the history, and
                      on a terminal the progress of up to 10 tasks is shown)
  --timeout DURATION  with --wait: how long to wait for all outcomes (default 60s, after
                      the tasks may start)
  --output FORMAT     text, or json for one JSON object per line (default text)
  --quiet             print no line per task, only errors and the summary
${TIMING_HELP}
  --max-bytes N       largest message body sent, in bytes; a larger task is refused, as
                      workers with the same limit dead-letter it (default 4194304)
${HISTORY_HELP}
  --history-payloads  with --history, record each task's payload in its enqueued event
${BROKER_HELP}
  -h, --help          show this help

Output: one line per confirmed task on stdout ('enqueued <task> <id>'), or with --wait one line
per outcome ('done <task> <id> <result>', 'failed <task> <id> <reason>: <error>' or
'timeout <task> <id> no outcome in time'), and a summary on stderr. On a terminal, more than
${PROGRESS_THRESHOLD} tasks show a progress bar instead.
Durations: 30s, 500ms, 2m, 1h, 3d, or a plain number of seconds.
Exit status: 0 when every task was confirmed (and, with --wait, done), 1 on broker errors,
failed or timed-out tasks, 2 on bad input or usage.`;
}

/** Help for one task: its fields as flags, with types, limits and defaults. */
export function taskHelp(task: AnyContract, flags: readonly TaskFlag[]): string {
  const width = Math.max(...flags.map((f) => f.flag.length + (f.kind === "boolean" ? 0 : 6)));
  const lines = flags.map((f) => {
    const name = f.kind === "boolean" ? `--${f.flag}` : `--${f.flag} VALUE`;
    return `  ${name.padEnd(width + 2)}  ${f.required ? "" : "optional: "}${f.help}`;
  });
  return `Publishes a '${task.name}' task.

Usage: ${PROGRAM} ${task.name} ${
    flags.filter((f) => f.required).map((f) => `--${f.flag} VALUE`).join(" ")
  } [options]

Fields:
${lines.join("\n")}

Options: --count, --json, --wait, --timeout, --output, --quiet, --delay, --at, --expires,
--priority, --max-priority, --max-bytes, --history, --history-payloads, --history-max-age,
--history-max-bytes, --url, --queue, --queue-type
(see '${PROGRAM} --help').`;
}
