/**
 * Warren's wire format, for programs that read or write Warren's messages without a producer or
 * a worker (a bridge from another system, a consumer in another language's test, an audit
 * tool): the task body and its properties, the headers, the dead-letter reasons, the outcome
 * replies, the queue names Warren derives from a work queue's name, and the helpers that turn a
 * payload into a message of a catalog's task and back.
 *
 * @example Read a delivery as a worker would
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { z } from "zod";
 * import { defineCatalog, defineTask } from "../../mod.ts";
 * import { decodeTask, prepareTask } from "./mod.ts";
 *
 * const catalog = defineCatalog(defineTask({ name: "ping", schema: z.object({ n: z.int() }) }));
 * const message = prepareTask(catalog, "ping", { n: 1 });
 * const decoded = decodeTask({ content: message.body, properties: message.properties }, catalog, 1024);
 * assertEquals(decoded.ok && decoded.payload, { n: 1 });
 * ```
 *
 * @module
 */
export {
  countHeader,
  decodeBody,
  type EncodedTask,
  type EncodeOptions,
  encodeTask,
  type IncomingMessage,
  messageId,
  TASK_KEY,
  type TaskBody,
  type TaskProperties,
  type UndecodableTask,
} from "./task_codec.ts";
export {
  ACQUIRED_COUNT_HEADER,
  BROKER_HEADERS,
  DELIVERY_COUNT_HEADER,
  HEADERS,
} from "./headers.ts";
export { NOT_BEFORE_TOLERANCE_MS, notBeforeHeaders, readNotBefore } from "./not_before.ts";
export { newTaskId, TASK_ID_LENGTH, taskIdAt, timeOfId } from "./task_id.ts";
export {
  type CancelledEvent,
  type DeadEvent,
  decodeEvent,
  type EncodedEvent,
  type EncodedEvents,
  encodeEvent,
  encodeEvents,
  type EnqueuedEvent,
  EVENT_FORMAT,
  EVENT_TYPE,
  type EventBase,
  eventBodies,
  eventJson,
  type EventMessage,
  type EventProblem,
  type EventRead,
  EVENTS_TYPE,
  type ExpiredEvent,
  HISTORY_EVENTS,
  type HistoryEvent,
  type HistoryEventName,
  isTerminal,
  MARKER_TYPE,
  MAX_EVENT_BYTES,
  MAX_EVENT_DEPTH,
  type NewHistoryEvent,
  outcomeOf,
  type ProgressEvent,
  readEvent,
  type ReplayedEvent,
  type RetriedEvent,
  type ReturnedEvent,
  type StartedEvent,
  type SucceededEvent,
  TERMINAL_EVENTS,
  type WorkerEvent,
} from "./events.ts";
export {
  type CancelRequest,
  decodeCancel,
  decodeReplayNote,
  encodeCancel,
  encodeReplayNote,
  type ReplayNote,
} from "./control.ts";
export {
  type BoundedJson,
  type JsonBounds,
  jsonDepth,
  type JsonProblem,
  parseBoundedJson,
} from "./bounded_json.ts";
export { DEAD_REASONS, type DeadReason, isDeadReason } from "./dead_reasons.ts";
export { decodeOutcome, encodeOutcome, type TaskOutcome } from "./outcome_codec.ts";
export { type PrepareOptions, prepareTask, prepareWireTask } from "../task/prepare.ts";
export { type DecodedTask, decodeTask } from "../task/decode.ts";
export { decodeResult, encodeResult } from "../task/results.ts";
export { contractVersion, isVersion } from "../task/version.ts";
export { QUEUE_TYPES, type QueueNames, queueNames, type QueueType } from "../broker/topology.ts";
export {
  encodeJoinMessage,
  encodeStepTag,
  type JoinMessage,
  MAX_MEMBERS,
  MAX_WORKFLOW_HEADER_BYTES,
  MAX_WORKFLOW_ID_BYTES,
  type MemberOutcome,
  readJoinMessage,
  readStepTag,
  stepId,
  type StepRead,
  type StepTag,
  WORKFLOW_HEADER,
} from "./workflow.ts";
