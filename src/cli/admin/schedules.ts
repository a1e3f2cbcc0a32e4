/**
 * `admin.ts schedules`: each schedule with its last and next fire, and which scheduler is
 * active.
 *
 * @module
 */
import type { SchedulesReport } from "../../admin/schedules.ts";
import { booleanFlag, parseFlags } from "../shared/args.ts";
import { brokerSettings } from "../shared/broker_flags.ts";
import { EXIT_OK, UsageError } from "../shared/exit.ts";
import { connectAdmin, PROGRAM, URL_QUEUE_HELP } from "./common.ts";
import { table } from "./format.ts";

/** Help of `admin.ts schedules`. */
export const SCHEDULES_HELP =
  `Shows the schedules of the work queue Q as the active scheduler keeps them in the broker
(Q.schedules): each with its task, timing, last and next fire; and which scheduler is active
(the one holding Q.scheduler); a fire the broker refuses (its queue was deleted, say), which
the scheduler tries again; and a handover (the last leader stopped on purpose).

Usage: ${PROGRAM} schedules [options]

Options:
  --json              one JSON object: {"queue", "active", "leader", "schedules": [...]}
${URL_QUEUE_HELP}
  -h, --help          show this help

Exit status: 0 on success, 1 on broker errors, 2 on bad usage.`;

/** The report as text. */
export function formatSchedules(report: SchedulesReport): string {
  const who = report.active
    ? `active scheduler: ${report.leader ?? "?"} (leading since ${report.leaderSince ?? "?"})`
    : report.leader === null
    ? "no scheduler is active, and none has run on this queue"
    : report.handover
    ? `no scheduler is active (${report.handover.by} handed the lead over at ${report.handover.at})`
    : `no scheduler is active (the last one was ${report.leader}, state written ${report.written})`;
  if (report.schedules.length === 0) return `${report.queue}: ${who}; no schedules`;
  const rows = report.schedules.map((s) => [
    s.name,
    s.task,
    s.timing,
    s.missed,
    s.lastFire ?? "-",
    s.nextFire ?? "-",
  ]);
  const lines = table(
    [
      { title: "SCHEDULE" },
      { title: "TASK" },
      { title: "WHEN" },
      { title: "MISSED" },
      { title: "LAST FIRE" },
      { title: "NEXT FIRE" },
    ],
    rows,
  );
  const refused = report.schedules.flatMap((s) =>
    s.refused
      ? [
        `refused: ${s.refused.id} (${s.refused.reason}), tried ${s.refused.attempts} times since ${s.refused.since}; the scheduler tries again`,
      ]
      : []
  );
  return [`${report.queue}: ${who}`, ...lines, ...refused].join("\n");
}

/** Runs `admin.ts schedules` with the arguments after `schedules`. */
export async function schedulesCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    string: ["url", "queue"],
    boolean: ["help", "json"],
    alias: { help: "h" },
  }, "for 'schedules'");
  if (flags.help) {
    console.log(SCHEDULES_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const admin = await connectAdmin(brokerSettings(flags));
  try {
    const report = await admin.schedules();
    console.log(booleanFlag(flags, "json") ? JSON.stringify(report) : formatSchedules(report));
    return EXIT_OK;
  } finally {
    await admin.close();
  }
}
