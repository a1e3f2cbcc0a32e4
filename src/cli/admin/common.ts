/**
 * What the admin CLI's commands share: the broker flags, connecting, and confirming destructive
 * actions.
 *
 * @module
 */
import { Admin } from "../../admin/admin.ts";
import { confirmAction, type ConfirmIo, terminalIo } from "./confirm.ts";
import { createLogger } from "../../util/logger.ts";
import { BROKER_HELP, type BrokerSettings } from "../shared/broker_flags.ts";
import { EXIT_USAGE, UsageError } from "../shared/exit.ts";
import { limitsProblem } from "../../admin/flow_status.ts";

/** The admin CLI's name in messages. */
export const PROGRAM = "admin.ts";

/** Help lines of `--url` and `--queue`. */
export const URL_QUEUE_HELP = BROKER_HELP.split("\n").filter((line) =>
  !line.includes("--queue-type")
).join("\n");

/** Help lines of `--url`, `--queue` and `--queue-type`. */
export { BROKER_HELP };

/** The sentence on confirmation that each destructive command's help ends with. */
export const CONFIRM_HELP =
  `Confirmation: when standard input is a terminal, you are asked to type yes; otherwise the
command refuses (exit 2) unless given --yes.`;

/** The tasks named by `--limit TASK[,TASK]` for work queues `queues`, checked; none without it. */
export function limitsFlag(value: string | undefined, queues: readonly string[]): string[] {
  const tasks = (value ?? "").split(",").map((t) => t.trim()).filter((t) => t !== "");
  const problem = limitsProblem(tasks, queues);
  if (problem !== undefined) throw new UsageError(`--limit ${problem}`);
  return tasks;
}

/** Connects for one command; `reconnect` keeps a long-running view alive across losses. */
export function connectAdmin(settings: BrokerSettings, reconnect = false): Promise<Admin> {
  return Admin.connect({
    url: settings.urls,
    queue: settings.queue,
    queueType: settings.queueType,
    reconnect,
    logger: createLogger({ write: (line) => console.error(line), level: "warn" }),
  });
}

/**
 * Refuses, before anything is done, an action that needs confirmation when nobody can give it:
 * no `--yes` and standard input is not a terminal.
 */
export function requireConfirmable(yes: boolean, action: string, io: ConfirmIo): void {
  if (!yes && !io.isTerminal) {
    throw new UsageError(
      `refusing to ${action} without confirmation: standard input is not a terminal, so nobody can type yes; add --yes`,
    );
  }
}

/** Asks to confirm `action`; returns `undefined` when confirmed, else the exit code to end with. */
export async function confirmOrExit(
  yes: boolean,
  action: string,
  io: ConfirmIo = terminalIo(),
): Promise<number | undefined> {
  const outcome = await confirmAction(action, { yes, io });
  if (outcome === "confirmed") return undefined;
  console.error(`not confirmed: nothing was changed`);
  return EXIT_USAGE;
}
