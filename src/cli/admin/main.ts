/**
 * The admin CLI: operator tools for a work queue. `status` shows its queues; `dead list`,
 * `dead replay` and `dead purge` handle its dead letters; `purge` empties it; `task`, `tasks`
 * and `result` read the history; `cancel` cancels tasks. Exits 0 on
 * success, 1 on broker errors, 2 on bad usage or when a destructive command is not confirmed.
 *
 * @module
 */
import type { Catalog } from "../../task/catalog.ts";
import { listCommand, replayCommand } from "./dead.ts";
import { PROGRAM, URL_QUEUE_HELP } from "./common.ts";
import { purgeCommand } from "./purge.ts";
import { schedulesCommand } from "./schedules.ts";
import { statusCommand } from "./status.ts";
import { resultCommand, taskCommand, tasksCommand } from "./history.ts";
import { workflowCommand } from "./workflow.ts";
import { cancelCommand } from "./cancel.ts";
import { EXIT_OK, fatal, UsageError } from "../shared/exit.ts";

const HELP = `Operator tools for a Warren work queue Q: the state of its queues, its dead letters,
purges, and its tasks' history and cancels.

Usage:
  ${PROGRAM} status [--watch] [--json] [--management URL]
                      ready and unacked messages, consumers and rates of Q, its delay
                      levels Q.wait.<k>, Q.dead and the streams Q.events and Q.control;
                      how many tasks are delayed
  ${PROGRAM} task ID [--since WHEN] [--json]
                      one task's state, result or error, and its timeline, from the
                      history (Q.events)
  ${PROGRAM} workflow ID [--since WHEN] [--all] [--json]
                      a workflow's steps as a tree: each one's state, attempts,
                      duration, result or error
  ${PROGRAM} tasks [--state S] [--task NAME] [--since 1h] [--limit N] [--json]
                      the tasks of the history, the latest first
  ${PROGRAM} result ID [--wait DURATION] [--json]
                      a finished task's result (or why it has none)
  ${PROGRAM} cancel ID... [--drop] [--json]
                      cancel tasks: queued or delayed ones never run, running ones are
                      stopped
  ${PROGRAM} dead list [--task NAME] [--id ID] [--reason R] [--limit N] [--json]
                      show dead letters (task, id, reason, attempts, error, when, worker),
                      removing none
  ${PROGRAM} dead replay [--task NAME] [--id ID] [--reason R] [--limit N] [--yes]
                      move dead letters back to Q, attempts reset
  ${PROGRAM} dead purge [--yes]
                      delete every dead letter
  ${PROGRAM} purge [--yes]
                      delete every task waiting in Q
  ${PROGRAM} schedules [--json]
                      each schedule's last and next fire, and the active scheduler
  ${PROGRAM} dashboard [--port 9465] [--host 127.0.0.1] [--token T] [--management URL]
                      a web page to watch the queues and act on them

'${PROGRAM} <command> --help' describes each command.

Options of every command:
${URL_QUEUE_HELP}
  -h, --help          show help

Destructive commands (purge, dead purge, dead replay) ask you to type yes when standard input
is a terminal, and otherwise refuse (exit 2) unless given --yes.
Exit status: 0 on success, 1 on broker errors, 2 on bad usage (or an unknown task id) or when
not confirmed, 3 when a task has no result (result) or had already finished (cancel).`;

const DEAD_HELP = `Dead letters of the work queue Q, in Q.dead.

Usage:
  ${PROGRAM} dead list [filters] [--limit N] [--json]  show them, removing none
  ${PROGRAM} dead replay [filters] [--limit N] [--yes] move them back to Q, attempts reset
  ${PROGRAM} dead purge [--yes]                        delete them all

Filters (list and replay): --task NAME, --id ID, --reason R (one reason a task is given up).

'${PROGRAM} dead <command> --help' describes each command.`;

const COMMAND_LIST =
  "status, task, tasks, result, workflow, cancel, schedules, dashboard, dead list, dead replay, dead purge or purge";

const isHelp = (arg: string | undefined) => arg === "--help" || arg === "-h";

async function dead(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "list":
      return await listCommand(rest);
    case "replay":
      return await replayCommand(rest);
    case "purge":
      return await purgeCommand("dead", rest);
    default:
      if (isHelp(command)) {
        console.log(DEAD_HELP);
        return EXIT_OK;
      }
      throw new UsageError(
        command === undefined
          ? "name a dead-letter command: list, replay or purge"
          : `unknown dead-letter command '${command}': use list, replay or purge`,
      );
  }
}

async function run(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "status":
      return await statusCommand(rest);
    case "dead":
      return await dead(rest);
    case "purge":
      return await purgeCommand("main", rest);
    case "schedules":
      return await schedulesCommand(rest);
    case "dashboard": {
      // Loaded here, not above: the dashboard's server and page (hono, preact, uPlot) are
      // loaded by this command only. The specifier stays a literal so `deno compile` bundles it.
      const { dashboardCommand } = await import("./dashboard.ts");
      return await dashboardCommand(rest);
    }
    case "task":
      return await taskCommand(rest);
    case "tasks":
      return await tasksCommand(rest);
    case "result":
      return await resultCommand(rest);
    case "workflow":
      return await workflowCommand(rest);
    case "cancel":
      return await cancelCommand(rest);
    default:
      if (isHelp(command)) {
        console.log(HELP);
        return EXIT_OK;
      }
      throw new UsageError(
        command === undefined
          ? `name a command: ${COMMAND_LIST}`
          : `unknown command '${command}': use ${COMMAND_LIST}`,
      );
  }
}

const COMMANDS = new Set([
  "status",
  "purge",
  "dead",
  "schedules",
  "dashboard",
  "task",
  "tasks",
  "result",
  "workflow",
  "cancel",
]);
const DEAD_COMMANDS = new Set(["list", "replay", "purge"]);

/** The command that `args` name, for the help that usage errors point to: `admin.ts dead list`. */
function commandOf(args: readonly string[]): string {
  const [command, sub] = args;
  if (command === undefined || !COMMANDS.has(command)) return PROGRAM;
  if (command !== "dead") return `${PROGRAM} ${command}`;
  return sub !== undefined && DEAD_COMMANDS.has(sub) ? `${PROGRAM} dead ${sub}` : `${PROGRAM} dead`;
}

/**
 * Runs the admin CLI with `args`; returns the exit code. Never throws: errors are printed with
 * their causes. It takes the catalog as the other CLIs do, though no command reads it yet: the
 * admin commands handle tasks as raw messages, so they work on any queue.
 */
export async function adminMain(_catalog: Catalog, args: readonly string[]): Promise<number> {
  try {
    return await run(args);
  } catch (err) {
    return fatal(err, commandOf(args));
  }
}
