/**
 * `admin.ts status`: the state of a work queue's queues, once or refreshed until Ctrl-C, from
 * the management API when one is given, else from AMQP passive declares.
 *
 * @module
 */
import type { Admin } from "../../admin/admin.ts";
import { formatStatus } from "./format.ts";
import { formatFlowStatus } from "./flow_format.ts";
import type { FlowStatus } from "../../admin/flow_status.ts";
import { managementStatus, parseManagementUrl } from "../../admin/management.ts";
import type { StatusReport } from "../../admin/status.ts";
import { missingQueueError } from "../../admin/queues.ts";
import { pause } from "../../util/deadline.ts";
import { describeError } from "../../errors/describe.ts";
import { queueNames } from "../../broker/topology.ts";
import { booleanFlag, durationFlag, parseFlags, sinceFlag, stringFlag } from "../shared/args.ts";
import type { StreamCheck } from "../../admin/stream_check.ts";
import { brokerSettings } from "../shared/broker_flags.ts";
import { connectAdmin, limitsFlag, PROGRAM, URL_QUEUE_HELP } from "./common.ts";
import { optionalEnv } from "../shared/env.ts";
import { EXIT_OK, UsageError } from "../shared/exit.ts";
import { LiveView } from "./live_view.ts";
import { onStopSignals } from "../shared/signals.ts";

/** Help of `admin.ts status`. */
export const STATUS_HELP =
  `Shows the queues of a work queue Q: Q itself, its delay levels Q.wait.<k> (where delayed
tasks and retries wait; level k holds a task 2^k x 100 ms), and Q.dead, each with ready
messages, unacked messages, consumers, and publish and deliver rates, and how many tasks are
delayed in all. The table leaves out the delay levels that hold nothing (--json lists them).

Usage: ${PROGRAM} status [options]

Where the numbers come from (the output says which):
  --management URL    the RabbitMQ management HTTP API (plugin rabbitmq_management), e.g.
                      http://localhost:15672, logging in with the user, password and virtual
                      host of the (first) AMQP URL, unless URL holds its own user:password@;
                      guest/guest when neither names a user. It gives every number and lists
                      every delay queue (Warren 0.1's Q.retry.<ms> too, with a note) and the
                      streams; the broker refreshes its numbers every 5 s
                      (env WARREN_MANAGEMENT_URL, read only if --allow-env grants it)
  otherwise           AMQP passive declares: ready messages and consumers; unacked messages
                      and rates show n/a, as AMQP does not give them. The delay levels are
                      probed from the lowest up to the first that does not exist

Warren's streams, when they exist: Q.events (the task history) and Q.control (cancels). Their
READY is every message they keep, the markers that readers append to find their end included.
They are read from --streams-since (default 1h, at most 200000 messages each): the messages
(markers not counted) and those that readers skip as unreadable (an event over 1 MiB or
nested over 66 levels, or not of the event format; a control message that is neither a cancel
nor a replay note) are counted.

Options:
  --streams-since WHEN  read the streams from this time: a duration back from now (30m, 7d)
                      or an ISO 8601 time (default 1h); with --watch, once, at the start
  --no-streams        do not read the streams
  --watch             refresh until Ctrl-C: in place when stdout is a terminal, else one
                      table (or JSON object) after another
  --interval DURATION time between refreshes with --watch (default 2s)
  --json              one JSON object per report, on one line
  --limit TASK[,TASK] show the rate limits of these tasks too: tasks waiting for a token,
                      tokens in the bucket, workers, and whether one refills it (read by
                      AMQP). The key partitions Q.part.<i> are shown whenever they exist
${URL_QUEUE_HELP}
  -h, --help          show this help

Permissions: the management API's host:port must be in --allow-net too, e.g.
  --allow-net=localhost:5672,localhost:15672
Exit status: 0 (also after Ctrl-C with --watch), 1 on broker errors, 2 on bad usage or when
Q does not exist.`;

/** Runs `admin.ts status` with the arguments after `status`. */
export async function statusCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    string: ["url", "queue", "management", "interval", "streams-since", "limit"],
    boolean: ["help", "watch", "json", "no-streams"],
    alias: { help: "h" },
  }, "for 'status'");
  if (flags.help) {
    console.log(STATUS_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const settings = brokerSettings(flags);
  const names = queueNames(settings.queue);
  const watch = booleanFlag(flags, "watch");
  const json = booleanFlag(flags, "json");
  const interval = durationFlag(flags, "interval", 2_000);
  if (flags.interval !== undefined && !watch) throw new UsageError("--interval needs --watch");
  if (interval < 100) throw new UsageError(`--interval must be 100ms or more: got ${interval}ms`);
  const flagUrl = stringFlag(flags, "management");
  const management = flagUrl ?? optionalEnv("WARREN_MANAGEMENT_URL");
  const managementUrl = management === undefined
    ? undefined
    : parseManagementUrl(management, flagUrl ? "--management" : "WARREN_MANAGEMENT_URL");

  const streamsSince = sinceFlag(flags, "streams-since", 3_600_000);
  const checkStreams = !booleanFlag(flags, "no-streams");
  const limits = limitsFlag(stringFlag(flags, "limit"), [settings.queue]);

  let admin: Admin | undefined;
  let streams: readonly StreamCheck[] | undefined;
  const read = async (): Promise<StatusReport & { flow?: FlowStatus }> => {
    const report = managementUrl === undefined
      ? await (admin ??= await connectAdmin(settings, watch)).status()
      : await managementStatus(names, { url: managementUrl, amqpUrl: settings.urls[0]! });
    // The same error as every other command's for a work queue that does not exist.
    if (report.queues.some((q) => q.role === "main" && !q.exists)) {
      throw missingQueueError(names, names.main);
    }
    if (checkStreams && streams === undefined) {
      admin ??= await connectAdmin(settings, watch);
      streams = await admin.checkStreams({ since: streamsSince });
    }
    const checked = streams === undefined ? report : { ...report, streams };
    // Flow control, by AMQP: shown when the queue has partitions, or limits were asked for.
    const flow = await (admin ??= await connectAdmin(settings, watch)).flowStatus(limits);
    return flow.partitions.length + flow.limits.length > 0 ? { ...checked, flow } : checked;
  };
  const render = (report: StatusReport & { flow?: FlowStatus }) =>
    json ? JSON.stringify(report) : [
      formatStatus(report),
      ...(report.flow ? formatFlowStatus(report.flow) : []),
    ].join("\n");

  try {
    if (!watch) {
      console.log(render(await read()));
      return EXIT_OK;
    }
    const stop = new AbortController();
    const removeListeners = onStopSignals(() => stop.abort());
    const view = new LiveView({
      inPlace: !json && Deno.stdout.isTerminal(),
      write: (text) => Deno.stdout.writeSync(new TextEncoder().encode(text)),
      columns: () => Deno.consoleSize().columns,
    });
    const footer = `refreshing every ${interval / 1000} s; Ctrl-C to stop`;
    try {
      for (let first = true; !stop.signal.aborted; first = false) {
        let text: string;
        try {
          const report = await read();
          text = json ? render(report) : `${render(report)}\n${footer}`;
        } catch (err) {
          // A first failure (no broker, no permission, bad login) ends the command. Later, a
          // broker that is down for a moment does not end the view: it says so and retries.
          if (first) throw err;
          const error = describeError(err);
          text = json
            ? JSON.stringify({ queue: names.main, at: new Date().toISOString(), error })
            : `error: ${error}\n${footer}`;
        }
        if (!stop.signal.aborted) view.show(text);
        await pause(interval, stop.signal);
      }
    } finally {
      removeListeners();
    }
    return EXIT_OK;
  } finally {
    await admin?.close();
  }
}
