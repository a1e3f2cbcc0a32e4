/**
 * The options of a worker, with their defaults, checked once when it starts.
 *
 * @module
 */
import {
  type BrokerOptions,
  resolveBrokerOptions,
  type ResolvedBroker,
} from "../broker/options.ts";
import { ConfigError } from "../errors/config_error.ts";
import { type BackoffOptions, resolveBackoff } from "../util/backoff.ts";
import type { Catalog } from "../task/catalog.ts";
import { resolveMaxPriority } from "../broker/options.ts";
import { checkNumber } from "../util/numbers.ts";
import { checkPartitions, DEFAULT_PARTITIONS } from "../flow/partitions.ts";
import { optionKeys, refuseUnknownOptions } from "../util/option_keys.ts";
import { defaultLogger, type Logger } from "../util/logger.ts";
import { DEFAULT_MAX_BYTES } from "../wire/task_codec.ts";
import { type HistoryOptions, type ResolvedHistory, resolveHistory } from "../history/options.ts";
import type { TaskEvent } from "./events.ts";
import { type AnyWorkflow, stageSteps, Workflow } from "../workflow/definition.ts";

/** What a worker does with a task stamped with another version of its contract. */
export type VersionMismatchPolicy = "warn" | "dead";

/** The policies of {@linkcode VersionMismatchPolicy}. */
export const VERSION_MISMATCH_POLICIES: readonly VersionMismatchPolicy[] = ["warn", "dead"];

/** Options of `Worker.start`. */
export interface WorkerOptions extends BrokerOptions, HistoryOptions {
  /**
   * Most tasks delivered to this worker and not yet acknowledged; it also bounds how many
   * handlers run at once. 1 is fair dispatch: each worker takes one task at a time.
   * @default {1}
   */
  prefetch?: number;
  /**
   * The worker's id, written in the headers of the dead letters it makes.
   * @default {"<hostname>-<pid>" (or "worker-<pid>" without permission to read the hostname)}
   */
  id?: string;
  /**
   * Largest message body accepted, in bytes; a larger one is dead-lettered unread.
   * @default {4194304}
   */
  maxMessageBytes?: number;
  /**
   * How many key partitions (`Q.part.<i>`) keyed tasks are spread over. Every producer and
   * worker of a work queue must use the same count: a key's tasks keep their order only within
   * one partition.
   * @default {16}
   */
  partitions?: number;
  /**
   * How long `Worker.close` lets running tasks finish before it returns them to the queue, in
   * milliseconds.
   * @default {30000}
   */
  grace?: number;
  /**
   * Retries after a failed attempt, for every task (overrides each task's `retries`).
   * @default {each task's own}
   */
  retries?: number;
  /**
   * Delays between attempts, for every task (overrides each task's `backoff`).
   * @default {each task's own}
   */
  backoff?: BackoffOptions;
  /**
   * How many times the workers running a task may die (their deliveries come back redelivered)
   * before the task is dead-lettered instead of run again: with 5, it runs at most 5 times.
   * @default {5}
   */
  maxRedeliveries?: number;
  /**
   * The broker's `consumer_timeout` in milliseconds; the worker refuses to start when a task's
   * time limit is not below it. A worker on a quorum queue of RabbitMQ 4.3 or later asks the
   * broker for it on its consumer (`x-consumer-timeout`), so that there it needs no change to
   * `rabbitmq.conf`; classic queues of RabbitMQ 4.3 enforce no consumer timeout.
   * @default {1800000}
   */
  consumerTimeout?: number;
  /**
   * Declare a classic work queue with `x-max-priority` (1 to 255), as producers must too (see
   * `ProducerOptions.maxPriority`).
   * @default {none}
   */
  maxPriority?: number;
  /**
   * Heartbeat interval in seconds.
   * @default {15}
   */
  heartbeat?: number;
  /**
   * What to do with a task stamped with another version of its contract than this worker's
   * (a producer built from another version of the catalog, during a rolling deploy, say):
   * `warn` runs it and logs `task.version_mismatch` once per task and version; `dead`
   * dead-letters it with reason `version-mismatch`.
   * @default {"warn"}
   */
  onVersionMismatch?: VersionMismatchPolicy;
  /**
   * Run the handlers of tasks marked `cpu` in this many threads (Web Workers), each loading the
   * handlers from `module` (its export `exportName`, default `handlers`). Needs read permission
   * for the module and Warren's sources. Use a `prefetch` of at least `size` to keep them busy.
   * @default {none: every handler runs on the main thread}
   */
  threads?: ThreadsOption;
  /**
   * Follow the cancel requests of `Q.control`: a cancelled task that comes is not run (it is
   * dead-lettered with reason `cancelled`, or dropped if the request said so), and a running
   * one has its signal fired (a thread's task is ended a second later if it does not stop).
   * @default {true}
   */
  cancels?: boolean;
  /**
   * How far back a starting worker reads cancel requests, in milliseconds: the longest a task
   * may wait (queued or delayed) and still be cancelled by a request made before this worker
   * started.
   * @default {historyMaxAge: 7 days}
   */
  cancelWindow?: number;
  /**
   * Hears every task event from the first delivery on (see also `Worker.on`).
   * @default {none}
   */
  onEvent?: (event: TaskEvent) => void;
  /**
   * The workflows whose steps this worker may run (of its catalog, from `defineWorkflow`):
   * after a step it starts the next, and it joins fan-outs on `Q.join`. Give every worker of a
   * queue the workflows its producers start. Needs the history (a workflow's outcome is read
   * there).
   * @default {none}
   */
  workflows?: readonly AnyWorkflow[];
}

/** Where threads load the handlers from. */
export interface ThreadsOption {
  /** How many threads. */
  readonly size: number;
  /** URL of the module that exports the handlers (threads load it themselves). */
  readonly module: string | URL;
  /**
   * Name of the handlers' export in that module.
   * @default {"handlers"}
   */
  readonly exportName?: string;
}

/** Per-worker overrides of the tasks' retry options. */
export interface RetryOverrides {
  /** Retries after a failed attempt, for every task. */
  readonly retries?: number;
  /** Delays between attempts, for every task. */
  readonly backoff?: Readonly<Required<BackoffOptions>>;
}

/** {@linkcode WorkerOptions}, checked, with the defaults filled in. */
export interface ResolvedWorkerOptions extends ResolvedBroker {
  /** Where the handlers' `context.log` writes: the `logger`, else standard error from info. */
  readonly handlerLogger: Logger;
  /** Most unacknowledged deliveries. */
  readonly prefetch: number;
  /** The worker's id. */
  readonly id: string;
  /** Largest body accepted. */
  readonly maxMessageBytes: number;
  /** The number of key partitions. */
  readonly partitions: number;
  /** Time to finish running tasks on close. */
  readonly grace: number;
  /** Overrides of the tasks' retry options. */
  readonly overrides: RetryOverrides;
  /** Redeliveries before a task is dead-lettered. */
  readonly maxRedeliveries: number;
  /** Heartbeat interval, if given. */
  readonly heartbeat: number | undefined;
  /** What to do on a version mismatch. */
  readonly onVersionMismatch: VersionMismatchPolicy;
  /** Where threads load the handlers from. */
  readonly threads: ThreadsOption | undefined;
  /** The classic work queue's `x-max-priority`, if any. */
  readonly maxPriority: number | undefined;
  /** The history's settings. */
  readonly history: ResolvedHistory;
  /** The window of cancel requests read at start, or `undefined` when cancels are off. */
  readonly cancelWindow: number | undefined;
  /** The broker's consumer timeout, as the worker was told (or RabbitMQ's default). */
  readonly consumerTimeout: number;
  /** The workflows by name. */
  readonly workflows: ReadonlyMap<string, AnyWorkflow>;
}

/** Default of {@linkcode WorkerOptions.prefetch}. */
export const DEFAULT_PREFETCH = 1;
export { DEFAULT_MAX_BYTES };
/** Default of {@linkcode WorkerOptions.consumerTimeout}: RabbitMQ's, 30 minutes. */
export const DEFAULT_CONSUMER_TIMEOUT = 1_800_000;
/** Default of {@linkcode WorkerOptions.grace}: 30 seconds. */
export const DEFAULT_GRACE_MS = 30_000;
/** Default of {@linkcode WorkerOptions.maxRedeliveries}. */
export const DEFAULT_MAX_REDELIVERIES = 5;

/** The worker's default id: `<hostname>-<pid>`, or `worker-<pid>` without `--allow-sys=hostname`. */
export function defaultWorkerId(): string {
  const readable = Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state ===
    "granted";
  return `${readable ? Deno.hostname() : "worker"}-${Deno.pid}`;
}

/** Every key of {@linkcode WorkerOptions} (checked at compile time). */
const WORKER_OPTION_KEYS = optionKeys<WorkerOptions>()([
  "url",
  "queue",
  "queueType",
  "logger",
  "history",
  "historyMaxAge",
  "historyMaxBytes",
  "prefetch",
  "id",
  "maxMessageBytes",
  "partitions",
  "grace",
  "retries",
  "backoff",
  "maxRedeliveries",
  "consumerTimeout",
  "maxPriority",
  "heartbeat",
  "onVersionMismatch",
  "threads",
  "cancels",
  "cancelWindow",
  "onEvent",
  "workflows",
]);

/**
 * Checks `options` against `catalog` and fills in the defaults; throws a `ConfigError` naming
 * the bad option, or the task whose time limit is not below the broker's `consumer_timeout`.
 */
export function resolveWorkerOptions(
  catalog: Catalog,
  options: WorkerOptions,
): ResolvedWorkerOptions {
  const action = "start worker";
  refuseUnknownOptions(options, WORKER_OPTION_KEYS, action);
  const overrides: { retries?: number; backoff?: Readonly<Required<BackoffOptions>> } = {};
  if (options.retries !== undefined) {
    overrides.retries = checkNumber(options.retries, "retries", action, { min: 0 });
  }
  if (options.backoff) overrides.backoff = resolveBackoff(options.backoff, "worker");
  const consumerTimeout = checkNumber(
    options.consumerTimeout ?? DEFAULT_CONSUMER_TIMEOUT,
    "consumerTimeout",
    action,
    { integer: false, min: 1 },
  );
  checkTimeouts(catalog, consumerTimeout);
  const onVersionMismatch = options.onVersionMismatch ?? "warn";
  if (!VERSION_MISMATCH_POLICIES.includes(onVersionMismatch)) {
    throw new ConfigError(
      `Cannot ${action} as 'onVersionMismatch' must be one of ${
        VERSION_MISMATCH_POLICIES.join(", ")
      }: current value is ${JSON.stringify(onVersionMismatch)}`,
    );
  }
  if (options.threads) {
    checkNumber(options.threads.size, "threads.size", action, { min: 1, max: 256 });
  }
  const history = resolveHistory(options, action);
  const broker = resolveBrokerOptions(options);
  return {
    ...broker,
    handlerLogger: options.logger === undefined ? defaultLogger("info") : broker.logger,
    prefetch: checkNumber(options.prefetch ?? DEFAULT_PREFETCH, "prefetch", action, {
      min: 1,
      max: 65_535,
    }),
    id: options.id ?? defaultWorkerId(),
    partitions: checkPartitions(options.partitions ?? DEFAULT_PARTITIONS, action),
    maxMessageBytes: checkNumber(
      options.maxMessageBytes ?? DEFAULT_MAX_BYTES,
      "maxMessageBytes",
      action,
      { min: 1 },
    ),
    grace: checkNumber(options.grace ?? DEFAULT_GRACE_MS, "grace", action, {
      integer: false,
      min: 0,
    }),
    overrides,
    maxRedeliveries: checkNumber(
      options.maxRedeliveries ?? DEFAULT_MAX_REDELIVERIES,
      "maxRedeliveries",
      action,
      { min: 1 },
    ),
    heartbeat: options.heartbeat === undefined
      ? undefined
      : checkNumber(options.heartbeat, "heartbeat", action, { min: 0 }),
    onVersionMismatch,
    threads: options.threads,
    maxPriority: resolveMaxPriority(options, action),
    history,
    consumerTimeout,
    workflows: resolveWorkflows(catalog, options.workflows, history.enabled),
    cancelWindow: options.cancels === false ? undefined : checkNumber(
      options.cancelWindow ?? history.control.maxAgeMs,
      "cancelWindow",
      action,
      { min: 0 },
    ),
  };
}

function resolveWorkflows(
  catalog: Catalog,
  workflows: readonly AnyWorkflow[] | undefined,
  history: boolean,
): ReadonlyMap<string, AnyWorkflow> {
  const byName = new Map<string, AnyWorkflow>();
  if (workflows === undefined) return byName;
  if (!Array.isArray(workflows)) {
    throw new ConfigError("Cannot start worker as 'workflows' is not a list of workflows");
  }
  if (workflows.length > 0 && !history) {
    throw new ConfigError(
      "Cannot start worker with workflows and the history off: a workflow's outcome is read from the history; turn it on",
    );
  }
  for (const workflow of workflows) {
    if (!(workflow instanceof Workflow)) {
      throw new ConfigError(
        "Cannot start worker as 'workflows' holds something that is not a workflow (make them with defineWorkflow)",
      );
    }
    const foreign = workflow.stages.flatMap(stageSteps).find((step) =>
      catalog.get(step.task) === undefined
    );
    if (foreign) {
      throw new ConfigError(
        `Cannot start worker with workflow '${workflow.name}': its task '${foreign.task}' is not in the worker's catalog`,
      );
    }
    if (byName.has(workflow.name)) {
      throw new ConfigError(`Cannot start worker as two workflows are named '${workflow.name}'`);
    }
    byName.set(workflow.name, workflow);
  }
  return byName;
}

function checkTimeouts(catalog: Catalog, consumerTimeout: number): void {
  for (const name of catalog.names) {
    const task = catalog.get(name)!;
    if (task.timeout >= consumerTimeout) {
      throw new ConfigError(
        `Cannot start worker as task '${name}' has a time limit of ${task.timeout} ms, not below the broker's consumer_timeout of ${consumerTimeout} ms: lower the task's 'timeout', or raise consumer_timeout in rabbitmq.conf and tell the worker (--consumer-timeout)`,
      );
    }
  }
}
