/**
 * `admin.ts purge` and `admin.ts dead purge`: deleting every ready message of the work queue or
 * of its dead-letter queue, after confirmation.
 *
 * @module
 */
import type { AdminQueue } from "../../admin/admin.ts";
import { terminalIo } from "./confirm.ts";
import { queueNames } from "../../broker/topology.ts";
import { booleanFlag, parseFlags } from "../shared/args.ts";
import { brokerSettings } from "../shared/broker_flags.ts";
import {
  CONFIRM_HELP,
  confirmOrExit,
  connectAdmin,
  PROGRAM,
  requireConfirmable,
  URL_QUEUE_HELP,
} from "./common.ts";
import { EXIT_OK, UsageError } from "../shared/exit.ts";

/** Help of `admin.ts purge` (`main`) or `admin.ts dead purge` (`dead`). */
export function purgeHelp(queue: AdminQueue): string {
  const command = queue === "main" ? "purge" : "dead purge";
  const what = queue === "main"
    ? `every task waiting in the work queue Q (tasks that workers are running stay, and so do
Q.dead and the delay queues)`
    : `every dead letter in Q.dead`;
  return `Deletes ${what}, for good.

Usage: ${PROGRAM} ${command} [options]

Options:
  --yes               do not ask for confirmation
${URL_QUEUE_HELP}
  -h, --help          show this help

${CONFIRM_HELP}
Exit status: 0 on success, 1 on broker errors, 2 on bad usage, when the queue does not exist
or when not confirmed.`;
}

/** Runs `admin.ts purge` or `admin.ts dead purge` with the arguments after `purge`. */
export async function purgeCommand(queue: AdminQueue, args: readonly string[]): Promise<number> {
  const command = queue === "main" ? "purge" : "dead purge";
  const { flags, positionals } = parseFlags(args, {
    string: ["url", "queue"],
    boolean: ["help", "yes"],
    alias: { help: "h" },
  }, `for '${command}'`);
  if (flags.help) {
    console.log(purgeHelp(queue));
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const settings = brokerSettings(flags);
  const name = queueNames(settings.queue)[queue];
  const yes = booleanFlag(flags, "yes");
  const io = terminalIo();
  requireConfirmable(yes, `purge ${name}`, io);
  const admin = await connectAdmin(settings);
  try {
    const counts = await admin.requireCounts(queue);
    if (counts.ready === 0) {
      console.log(`purged 0 messages: ${name} is empty`);
      return EXIT_OK;
    }
    const refused = await confirmOrExit(yes, `purge ${counts.ready} messages from ${name}`, io);
    if (refused !== undefined) return refused;
    const purged = await admin.purge(queue);
    console.log(`purged ${purged} message(s) from ${name}`);
    return EXIT_OK;
  } finally {
    await admin.close();
  }
}
