/**
 * The worker CLI: runs tasks from a work queue until SIGINT or SIGTERM, then drains (a second
 * signal exits at once, and the broker requeues what was running).
 *
 * @module
 */
import type { Catalog } from "../../task/catalog.ts";
import type { Handlers } from "../../task/handlers.ts";
import type { TaskEvent } from "../../worker/events.ts";
import type { AnyWorkflow } from "../../workflow/definition.ts";
import { createLogger, LOG_LEVELS, type LogFormat } from "../../util/logger.ts";
import { type WorkerGauges, WorkerMetrics } from "../../metrics/worker_metrics.ts";
import { serveMetrics } from "../../metrics/server.ts";
import { explainPermission } from "../../util/permissions.ts";
import {
  DEFAULT_CONSUMER_TIMEOUT,
  DEFAULT_GRACE_MS,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_REDELIVERIES,
  type ThreadsOption,
  VERSION_MISMATCH_POLICIES,
} from "../../worker/options.ts";
import { Worker } from "../../worker/worker.ts";
import type { Scheduler } from "../../scheduler/scheduler.ts";
import {
  backoffFlags,
  booleanFlag,
  choiceFlag,
  durationFlag,
  integerFlag,
  type ParsedArgs,
  parseFlags,
  stringFlag,
} from "../shared/args.ts";
import {
  HISTORY_BOOLEAN_FLAGS,
  HISTORY_STRING_FLAGS,
  historyFlags,
} from "../shared/history_flags.ts";
import { BROKER_STRING_FLAGS, brokerSettings } from "../shared/broker_flags.ts";
import { EXIT_BROKER, EXIT_OK, fatal, UsageError } from "../shared/exit.ts";
import { onStopSignals } from "../shared/signals.ts";
import { PROGRAM, workerHelp } from "./help.ts";
import { startSummary } from "./summary.ts";

const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** How the worker CLI finds its handlers in threads. */
export interface WorkerMainOptions {
  /**
   * URL of the module that exports the handlers, for `--threads` (threads load it themselves).
   * @default {none: --threads is refused}
   */
  handlersModule?: string | URL;
  /**
   * The handlers' export name in that module.
   * @default {"handlers"}
   */
  exportName?: string;
  /**
   * The workflows whose steps the worker runs (see `WorkerOptions.workflows`).
   * @default {none}
   */
  workflows?: readonly AnyWorkflow[];
}

function threadsOption(
  flags: ParsedArgs["flags"],
  options: WorkerMainOptions,
): ThreadsOption | undefined {
  if (flags.threads === undefined) return undefined;
  const size = integerFlag(flags, "threads", 1, 1, 256);
  if (options.handlersModule === undefined) {
    throw new UsageError(
      "--threads needs the module of the handlers, which threads load themselves: this program did not give it (workerMain's 'handlersModule' option)",
    );
  }
  return {
    size,
    module: options.handlersModule,
    ...(options.exportName === undefined ? {} : { exportName: options.exportName }),
  };
}

async function run<C extends Catalog>(
  handlers: Handlers<C>,
  args: readonly string[],
  options: WorkerMainOptions,
): Promise<number> {
  const { catalog } = handlers;
  const { flags, positionals } = parseFlags(args, {
    string: [
      ...BROKER_STRING_FLAGS,
      "prefetch",
      "log-format",
      "log-level",
      "grace",
      "retries",
      "backoff-base",
      "backoff-max",
      "max-bytes",
      "max-redeliveries",
      "consumer-timeout",
      "id",
      "metrics-port",
      "metrics-host",
      "threads",
      "on-version-mismatch",
      "max-priority",
      "schedules",
      "cancel-window",
      ...HISTORY_STRING_FLAGS,
    ],
    boolean: ["help", ...HISTORY_BOOLEAN_FLAGS, "no-cancels"],
    alias: { help: "h" },
  }, "");
  if (flags.help) {
    console.log(workerHelp(catalog));
    return EXIT_OK;
  }
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}'`);
  }
  const format = choiceFlag(flags, "log-format", LOG_FORMATS, "text");
  const logger = createLogger({
    format,
    level: choiceFlag(flags, "log-level", LOG_LEVELS, "info"),
    color: format === "text" && Deno.stdout.isTerminal() && !Deno.noColor,
  });
  const settings = brokerSettings(flags);
  const metricsPort = flags["metrics-port"] === undefined
    ? undefined
    : integerFlag(flags, "metrics-port", 0, 0, 65_535);
  const metricsHost = stringFlag(flags, "metrics-host") ?? "127.0.0.1";
  const threads = threadsOption(flags, options);
  const retries = flags.retries === undefined ? undefined : integerFlag(flags, "retries", 0, 0);
  const id = stringFlag(flags, "id");
  const backoff = backoffFlags(flags);
  const maxPriority = flags["max-priority"] === undefined
    ? undefined
    : integerFlag(flags, "max-priority", 1, 1, 255);
  const schedulesFile = stringFlag(flags, "schedules");
  // The scheduler and its cron library load only when asked for: an idle worker stays small.
  const schedules = schedulesFile === undefined
    ? undefined
    : await (await import("../shared/schedules_file.ts")).readSchedulesFile(catalog, schedulesFile);
  // Signals are handled from the start: one that comes while connecting stops the worker as
  // soon as it is up (a second one exits at once), instead of killing it mid-delivery.
  const forced = Promise.withResolvers<number>();
  let signals = 0;
  let worker: Worker<C> | undefined;
  let scheduler: Scheduler<C> | undefined;
  const removeListeners = onStopSignals(() => {
    if (++signals === 1) {
      scheduler?.close();
      worker?.close();
    } else {
      logger.warn("worker.killed", {
        detail: "second signal: exiting now; the broker requeues running tasks",
      });
      forced.resolve(EXIT_BROKER);
    }
  });
  // The metrics endpoint is up before the worker, so that a port in use stops it from starting.
  const metrics = metricsPort === undefined ? undefined : new WorkerMetrics();
  const server = metrics === undefined || metricsPort === undefined
    ? undefined
    : startMetricsServer(
      metrics,
      () => worker ?? { inFlight: 0, consuming: false, reconnects: 0 },
      metricsPort,
      metricsHost,
    );
  try {
    const started = await Promise.race([
      Worker.start(handlers, {
        url: settings.urls,
        queue: settings.queue,
        queueType: settings.queueType,
        prefetch: integerFlag(flags, "prefetch", threads?.size ?? 1, 1, 65_535),
        ...(threads === undefined ? {} : { threads }),
        logger,
        grace: durationFlag(flags, "grace", DEFAULT_GRACE_MS),
        maxMessageBytes: integerFlag(flags, "max-bytes", DEFAULT_MAX_BYTES, 1),
        maxRedeliveries: integerFlag(flags, "max-redeliveries", DEFAULT_MAX_REDELIVERIES, 1),
        consumerTimeout: durationFlag(flags, "consumer-timeout", DEFAULT_CONSUMER_TIMEOUT),
        ...(maxPriority === undefined ? {} : { maxPriority }),
        onVersionMismatch: choiceFlag(
          flags,
          "on-version-mismatch",
          VERSION_MISMATCH_POLICIES,
          "warn",
        ),
        ...(retries === undefined ? {} : { retries }),
        ...(backoff === undefined ? {} : { backoff }),
        ...(id === undefined ? {} : { id }),
        ...(metrics ? { onEvent: (event: TaskEvent) => metrics.record(event) } : {}),
        ...historyFlags(flags),
        ...(booleanFlag(flags, "no-cancels") ? { cancels: false } : {}),
        ...(options.workflows === undefined ? {} : { workflows: options.workflows }),
        ...(flags["cancel-window"] === undefined
          ? {}
          : { cancelWindow: durationFlag(flags, "cancel-window", 0) }),
      }),
      forced.promise,
    ]);
    if (typeof started === "number") return started;
    const running = worker = started;
    if (schedules !== undefined) {
      // The worker's process is also one replica of the scheduler (one replica is active).
      const { Scheduler } = await import("../../scheduler/scheduler.ts");
      scheduler = await Scheduler.start(catalog, schedules, {
        url: settings.urls,
        queue: settings.queue,
        queueType: settings.queueType,
        logger,
        id: running.id,
        ...historyFlags(flags),
        ...(maxPriority === undefined ? {} : { maxPriority }),
      });
      if (metrics) scheduler.on("schedule.fired", (event) => metrics.recordFire(event.schedule));
    }
    if (signals > 0) {
      scheduler?.close();
      running.close();
    }
    const stopSummary = Deno.stdout.isTerminal() && format === "text"
      ? startSummary((listener) => running.on("*", listener), () => running.inFlight, logger)
      : undefined;
    try {
      const closed = Promise.all([running.closed, scheduler?.closed]).then(() => EXIT_OK);
      return await Promise.race([closed, forced.promise]);
    } finally {
      stopSummary?.();
      logger.flush?.();
    }
  } finally {
    removeListeners();
    await server?.shutdown();
  }
}

function startMetricsServer(
  metrics: WorkerMetrics,
  gauges: () => WorkerGauges,
  port: number,
  hostname: string,
): Deno.HttpServer<Deno.NetAddr> {
  try {
    return serveMetrics(metrics, gauges, { port, hostname });
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      throw new UsageError(`--metrics-port ${port} is in use on ${hostname}: pick another port`);
    }
    throw explainPermission(
      err,
      `--allow-net=${hostname}:${port}`,
      `listening on ${hostname}:${port}`,
    );
  }
}

/**
 * Runs the worker CLI with `args`, running `handlers`; returns the exit code. Never throws:
 * errors are printed with their causes.
 */
export async function workerMain<C extends Catalog>(
  handlers: Handlers<C>,
  args: readonly string[],
  options: WorkerMainOptions = {},
): Promise<number> {
  try {
    return await run(handlers, args, options);
  } catch (err) {
    return fatal(err, PROGRAM);
  }
}
