/**
 * `admin.ts dashboard`: serves the dashboard until SIGINT or SIGTERM.
 *
 * @module
 */
import { parseManagementUrl } from "../../admin/management.ts";
import { queueNames } from "../../broker/topology.ts";
import { DEFAULT_DASHBOARD_PORT, serveDashboard } from "../../dashboard/server.ts";
import { createLogger } from "../../util/logger.ts";
import { explainPermission } from "../../util/permissions.ts";
import { durationFlag, integerFlag, parseFlags, stringFlag } from "../shared/args.ts";
import { BROKER_STRING_FLAGS, brokerSettings } from "../shared/broker_flags.ts";
import { optionalEnv } from "../shared/env.ts";
import { EXIT_OK, UsageError } from "../shared/exit.ts";
import { onStopSignals } from "../shared/signals.ts";
import { limitsFlag, PROGRAM, URL_QUEUE_HELP } from "./common.ts";

/** Help of `admin.ts dashboard`. */
export const DASHBOARD_HELP =
  `Serves a web page that shows Warren's work queues (ready, unacked, delayed and dead tasks,
rates with a live chart, the workers) and acts on them (dead letters: list, replay, purge;
schedules), with its JSON API, until Ctrl-C. The page loads nothing from elsewhere.

Usage: ${PROGRAM} dashboard [options]

Options:
  --port P            port to listen on (default ${DEFAULT_DASHBOARD_PORT}; 0: any free one)
  --host HOST         address to listen on (default 127.0.0.1). Any other than loopback
                      needs a token
  --token TOKEN       a token (16 characters or more) every request must carry: open
                      http://HOST:P/?token=TOKEN once in the browser (it is kept in a cookie),
                      or send Authorization: Bearer TOKEN (env WARREN_DASHBOARD_TOKEN, read
                      only if --allow-env grants it; better than the flag, which ps shows)
  --queue Q[,Q...]    the work queues to show (default task_queue; env WARREN_QUEUE)
  --management URL    the RabbitMQ management API, for unacked tasks, rates and the workers
                      by name (env WARREN_MANAGEMENT_URL, read only if --allow-env grants it)
  --interval DURATION how often the broker is read (default 1s)
  --limit TASK[,TASK] show the rate limits of these tasks too (tasks waiting for a token,
                      tokens, workers, whether one refills); the key partitions Q.part.<i>
                      are shown whenever a queue has them
${URL_QUEUE_HELP.split("\n").filter((line) => !line.includes("--queue")).join("\n")}
  -h, --help          show this help

Permissions: the listening address and the management API in --allow-net, e.g.
  --allow-net=localhost:5672,127.0.0.1:9465,localhost:15672
Exit status: 0 after Ctrl-C, 1 on broker errors, 2 on bad usage.`;

/**
 * Deno's refusal to listen (`Requires net access to "127.0.0.1:9465"`) as a
 * PermissionError naming the flag to add; other errors unchanged.
 */
function explainListenPermission(err: unknown): never {
  const address = err instanceof Deno.errors.NotCapable
    ? /net access to "([^"]+)"/.exec(err.message)?.[1]
    : undefined;
  throw address === undefined
    ? err
    : explainPermission(err, `--allow-net=${address}`, `listening on ${address}`);
}

/** Runs `admin.ts dashboard` with the arguments after `dashboard`. */
export async function dashboardCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    string: [...BROKER_STRING_FLAGS, "port", "host", "token", "management", "interval", "limit"],
    boolean: ["help"],
    alias: { help: "h" },
  }, "for 'dashboard'");
  if (flags.help) {
    console.log(DASHBOARD_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const queueFlag = stringFlag(flags, "queue");
  const settings = brokerSettings({ ...flags, queue: queueFlag?.split(",")[0] });
  const queues = (queueFlag ?? settings.queue).split(",").map((q) => q.trim());
  for (const queue of queues) queueNames(queue);
  const flagManagement = stringFlag(flags, "management");
  const management = flagManagement ?? optionalEnv("WARREN_MANAGEMENT_URL");
  if (management !== undefined) {
    parseManagementUrl(management, flagManagement ? "--management" : "WARREN_MANAGEMENT_URL");
  }
  const token = stringFlag(flags, "token") ?? optionalEnv("WARREN_DASHBOARD_TOKEN");
  const host = stringFlag(flags, "host");
  const limits = limitsFlag(stringFlag(flags, "limit"), queues);
  const dashboard = await serveDashboard({
    url: settings.urls,
    queues,
    queueType: settings.queueType,
    port: integerFlag(flags, "port", DEFAULT_DASHBOARD_PORT, 0, 65_535),
    interval: durationFlag(flags, "interval", 1_000),
    logger: createLogger({ write: (line) => console.error(line), level: "warn" }),
    ...(host === undefined ? {} : { host }),
    ...(limits.length === 0 ? {} : { limits }),
    ...(token === undefined ? {} : { token }),
    ...(management === undefined ? {} : { management }),
  }).catch(explainListenPermission);
  console.log(`dashboard of ${queues.join(", ")} at ${dashboard.url}`);
  const stopped = Promise.withResolvers<void>();
  const removeListeners = onStopSignals(() => stopped.resolve());
  try {
    await stopped.promise;
    return EXIT_OK;
  } finally {
    removeListeners();
    await dashboard.close();
  }
}
