/**
 * Warren: typed RabbitMQ work queues for Deno.
 *
 * Producers publish JSON tasks to a durable queue as persistent messages and wait for the
 * broker's confirm; competing workers take one task at a time (prefetch 1, fair dispatch), run
 * its handler, and acknowledge only when it is done, so a crash loses nothing. Failed attempts
 * are retried with backoff through delay queues; what cannot run goes to a dead-letter queue.
 * Task names and payload types come from one catalog of zod schemas, so a wrong task name or
 * field is a compile-time error.
 *
 * @example A typed catalog: what producers may send is checked before anything is published
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { z } from "zod";
 * import { defineCatalog, defineTask, prepareTask, ValidationError } from "./mod.ts";
 *
 * const resize = defineTask({
 *   name: "resize",
 *   schema: z.object({ url: z.url(), width: z.int().positive() }),
 *   handler: ({ url, width }) => `${url}@${width}`,
 *   retries: 5,
 * });
 * const catalog = defineCatalog(resize);
 *
 * // The message a producer publishes: the flat wire format, persistent, with a message id.
 * const message = prepareTask(catalog, "resize", { url: "https://example.com/a.png", width: 640 });
 * assertEquals(
 *   JSON.parse(message.body.toString()),
 *   { task: "resize", url: "https://example.com/a.png", width: 640 },
 * );
 * assertEquals(message.properties.persistent, true);
 *
 * // A bad field is an error that names it (and, in TypeScript, a compile-time error).
 * const bad = { url: "https://example.com/a.png", width: "wide" };
 * // @ts-expect-error: width must be a number
 * assertThrows(() => prepareTask(catalog, "resize", bad), ValidationError, "width");
 * ```
 *
 * @example Enqueue a task and run a worker (needs RabbitMQ on localhost:5672)
 * ```ts ignore
 * import { z } from "zod";
 * import { defineCatalog, defineTask, Producer, Worker } from "./mod.ts";
 *
 * const resize = defineTask({
 *   name: "resize",
 *   schema: z.object({ url: z.url(), width: z.int().positive() }),
 *   handler: ({ url, width }) => `${url}@${width}`,
 * });
 * const catalog = defineCatalog(resize);
 *
 * const producer = await Producer.connect(catalog, { queue: "images" });
 * await producer.enqueue("resize", { url: "https://example.com/a.png", width: 640 });
 * await producer.close();
 *
 * const worker = await Worker.start(catalog, { queue: "images", prefetch: 1 });
 * Deno.addSignalListener("SIGTERM", () => worker.stop());
 * await worker.done;
 * ```
 *
 * @module
 */
export {
  type AnyTask,
  type Catalog,
  type CatalogOf,
  defineCatalog,
  defineTask,
  type PayloadSchema,
  type SchemaInput,
  type SchemaOutput,
  type TaskContext,
  type TaskDefinition,
  type TaskInput,
  type TaskName,
  type TaskOf,
  type TaskOptions,
  type TaskPayload,
  type TaskResult,
  type TaskSpec,
} from "./src/catalog.ts";
export type { BackoffOptions } from "./src/backoff.ts";
export { checkpoint } from "./src/checkpoint.ts";
export {
  type DeadReason,
  type DecodedTask,
  decodeTask,
  type EncodedTask,
  type EncodeOptions,
  encodeTask,
  HEADERS,
  type IncomingMessage,
  type TaskOutcome,
  type TaskProperties,
  type UndecodableTask,
} from "./src/codec.ts";
export {
  ConfigError,
  ConnectionError,
  NonRetryableError,
  PermissionError,
  PublishError,
  type PublishFailure,
  ResultTimeoutError,
  TaskTimeoutError,
  UnknownTaskError,
  ValidationError,
  type ValidationIssue,
} from "./src/errors.ts";
export type {
  TaskDead,
  TaskDone,
  TaskEvent,
  TaskFailed,
  TaskReturned,
  TaskStarted,
} from "./src/events.ts";
export {
  createLogger,
  type LogFields,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  silentLogger,
} from "./src/logger.ts";
export { prepareTask, prepareWireTask } from "./src/prepare.ts";
export {
  DIRECT_REPLY_TO,
  type EnqueueOptions,
  Producer,
  type ProducerOptions,
  type PublishSummary,
  type Receipt,
} from "./src/producer.ts";
export { DEFAULT_QUEUE, type QueueNames, queueNames, type QueueType } from "./src/topology.ts";
export { DEFAULT_URL, redactUrl } from "./src/urls.ts";
export { Worker, type WorkerOptions } from "./src/worker.ts";
export { type WorkerGauges, WorkerMetrics } from "./src/metrics.ts";
export { type MetricsServerOptions, serveMetrics } from "./src/metrics_server.ts";
export { Admin, type AdminOptions, type AdminQueue } from "./src/admin/admin.ts";
export {
  type DeadLetter,
  type DeadLetterList,
  type ListOptions,
} from "./src/admin/dead_letters.ts";
export {
  ManagementError,
  type ManagementOptions,
  managementStatus,
} from "./src/admin/management.ts";
export { MissingQueueError, type QueueCounts } from "./src/admin/queues.ts";
export { type ReplayFilter, type ReplayOptions, type ReplaySummary } from "./src/admin/replay.ts";
export { possibleRetryDelays, type RetryDelayOptions } from "./src/admin/retry_delays.ts";
export {
  type QueueRole,
  type QueueStatus,
  type StatusReport,
  type StatusSource,
} from "./src/admin/status.ts";
export { adminMain } from "./src/cli/admin_main.ts";
export { producerMain } from "./src/cli/producer_main.ts";
export { workerMain, type WorkerMainOptions } from "./src/cli/worker_main.ts";
