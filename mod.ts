/**
 * Warren: typed RabbitMQ work queues for Deno.
 *
 * Producers publish JSON tasks to a durable queue as persistent messages and wait for the
 * broker's confirm; competing workers take one task at a time (prefetch 1, fair dispatch), run
 * its handler, and acknowledge only when it is done, so a crash loses nothing. Failed attempts
 * are retried with backoff through delay queues; what cannot run goes to a dead-letter queue.
 * With `history: true` each task's life is kept in a RabbitMQ stream, so that its result can be
 * read later and from anywhere ({@linkcode Producer.result}), its progress followed, and the
 * task cancelled ({@linkcode Producer.cancel}); `./admin` looks tasks up.
 *
 * A task is a contract ({@linkcode defineTask}: its name, the zod schemas of its payload and
 * result, how it is run), gathered in a catalog ({@linkcode defineCatalog}) that producers and
 * workers share. Handlers are bound to the catalog on the worker's side
 * ({@linkcode defineHandlers}), so a producer loads no handler code, and a wrong task name,
 * field or result type is a compile-time error on either side.
 *
 * Other entry points: `./admin` (operator tools), `./wire` (the wire format), `./metrics`
 * (Prometheus metrics of a worker) and `./cli` (the command-line programs, to run with your own
 * catalog).
 *
 * @example Contracts, a producer's message, and a worker's handlers
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { z } from "zod";
 * import { defineCatalog, defineHandlers, defineTask, ValidationError } from "./mod.ts";
 * import { prepareTask } from "./src/wire/mod.ts";
 *
 * // Shared by producers and workers: no handler code here.
 * const resize = defineTask({
 *   name: "resize",
 *   schema: z.object({ url: z.url(), width: z.int().positive() }),
 *   result: z.object({ url: z.url() }),
 *   retries: 5,
 * });
 * const catalog = defineCatalog(resize);
 *
 * // What a producer publishes: the flat wire format, validated first.
 * const message = prepareTask(catalog, "resize", { url: "https://example.com/a.png", width: 640 });
 * assertEquals(
 *   JSON.parse(message.body.toString()),
 *   { task: "resize", url: "https://example.com/a.png", width: 640 },
 * );
 * const bad = { url: "https://example.com/a.png", width: "wide" };
 * // @ts-expect-error: width must be a number
 * assertThrows(() => prepareTask(catalog, "resize", bad), ValidationError, "width");
 *
 * // Only the worker binds handlers; each receives its payload's parsed type and must return
 * // its result's type.
 * const handlers = defineHandlers(catalog, {
 *   resize: ({ url, width }) => ({ url: `${url}?w=${width}` }),
 * });
 * assertEquals(handlers.get("resize")?.contract.retries, 5);
 * ```
 *
 * @example Enqueue a task, run a worker, await the typed result (needs RabbitMQ on localhost)
 * ```ts ignore
 * import { z } from "zod";
 * import { defineCatalog, defineHandlers, defineTask, Producer, Worker } from "./mod.ts";
 *
 * const resize = defineTask({
 *   name: "resize",
 *   schema: z.object({ url: z.url(), width: z.int().positive() }),
 *   result: z.object({ url: z.url() }),
 * });
 * const catalog = defineCatalog(resize);
 * const handlers = defineHandlers(catalog, {
 *   resize: ({ url, width }) => ({ url: `${url}?w=${width}` }),
 * });
 *
 * const worker = await Worker.start(handlers, { queue: "images" });
 * const producer = await Producer.connect(catalog, { queue: "images", results: true });
 * const receipt = await producer.enqueue("resize", { url: "https://example.com/a.png", width: 640 }, {
 *   result: true,
 * });
 * const outcome = await producer.result(receipt);
 * if (outcome.ok) console.log(outcome.result.url); // typed by the result schema
 * await producer.close();
 * await worker.close();
 * ```
 *
 * @module
 */
export { defineTask } from "./src/task/contract.ts";
export type {
  AnyContract,
  PayloadSchema,
  ResultSchema,
  SchemaInput,
  SchemaOutput,
  TaskContract,
  TaskSpec,
  UnknownResult,
} from "./src/task/contract.ts";
export type {
  KeySelector,
  RateLimit,
  ResolvedTaskOptions,
  TaskOptions,
} from "./src/task/options.ts";
export type { BackoffOptions } from "./src/util/backoff.ts";
export { defineCatalog } from "./src/task/catalog.ts";
export type {
  Catalog,
  CatalogOf,
  TaskInput,
  TaskName,
  TaskOf,
  TaskPayload,
  TaskResult,
} from "./src/task/catalog.ts";
export { defineHandlers } from "./src/task/handlers.ts";
export type { BoundTask, HandlerMap, Handlers, TaskHandler } from "./src/task/handlers.ts";
export type { TaskContext } from "./src/task/context.ts";
export { checkpoint } from "./src/task/checkpoint.ts";

export { Producer, type PublishSummary } from "./src/producer/producer.ts";
export { defineWorkflow, FanOut, MemberChain, Workflow } from "./src/workflow/definition.ts";
export type {
  AnyWorkflow,
  ElementOf,
  GroupMember,
  MapArgs,
  Mapper,
  MemberMaker,
  ResultsOf,
  Settled,
  SettledOf,
  Stage,
  StepOptions,
  StepSpec,
  WorkflowStart,
} from "./src/workflow/definition.ts";
export type { StartOptions, WorkflowReceipt } from "./src/workflow/start.ts";
export type { CancelResult } from "./src/producer/cancel_result.ts";
export type { EnqueueOptions, ProducerOptions, ResultOptions } from "./src/producer/options.ts";
export type { ConfirmListener, Receipt } from "./src/producer/publish_window.ts";
export type { TaskOutcome } from "./src/wire/outcome_codec.ts";
export type { EncodedTask, TaskProperties } from "./src/wire/task_codec.ts";
export { DEAD_REASONS, type DeadReason } from "./src/wire/dead_reasons.ts";

export type { HistoryOptions } from "./src/history/options.ts";
export type { CancelOptions } from "./src/history/cancels.ts";
export type { TaskRecord, TaskState } from "./src/history/timeline.ts";
export { EVENT_FORMAT, HISTORY_EVENTS } from "./src/wire/events.ts";
export type {
  CancelledEvent,
  DeadEvent,
  EnqueuedEvent,
  EventBase,
  ExpiredEvent,
  HistoryEvent,
  HistoryEventName,
  ProgressEvent,
  ReplayedEvent,
  RetriedEvent,
  ReturnedEvent,
  StartedEvent,
  SucceededEvent,
  WorkerEvent,
} from "./src/wire/events.ts";

export { Worker } from "./src/worker/worker.ts";
export type { LimitReading } from "./src/flow/refiller.ts";
export type { ThreadsOption, VersionMismatchPolicy, WorkerOptions } from "./src/worker/options.ts";
export type {
  TaskDead,
  TaskDone,
  TaskEarly,
  TaskEvent,
  TaskEventName,
  TaskFailed,
  TaskReturned,
  TaskStarted,
} from "./src/worker/events.ts";
export { Emitter, type Listener, type ListenerOf } from "./src/util/emitter.ts";

export type { BrokerOptions } from "./src/broker/options.ts";
export { DEFAULT_QUEUE, type QueueType } from "./src/broker/topology.ts";
export { DEFAULT_URL } from "./src/broker/urls.ts";

export { ConfigError } from "./src/errors/config_error.ts";
export { ConnectionError } from "./src/errors/connection_error.ts";
export { MissingQueueError } from "./src/errors/missing_queue_error.ts";
export { NonRetryableError } from "./src/errors/non_retryable_error.ts";
export { PermissionError } from "./src/errors/permission_error.ts";
export { PublishError, type PublishFailure } from "./src/errors/publish_error.ts";
export { ResultTimeoutError } from "./src/errors/result_timeout_error.ts";
export { TaskTimeoutError } from "./src/errors/task_timeout_error.ts";
export { UnknownIdError } from "./src/errors/unknown_id_error.ts";
export { UnknownTaskError } from "./src/errors/unknown_task_error.ts";
export { ValidationError, type ValidationIssue } from "./src/errors/validation_error.ts";

export {
  createLogger,
  type LogFields,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  silentLogger,
} from "./src/util/logger.ts";
