/**
 * The wire format, a public contract: a flat UTF-8 JSON object `{"task": "<name>", ...payload}`.
 *
 * Warren also sets message properties (content type, persistence, message id, type, timestamp,
 * app id) and its own headers, but reads none of them as required: a message that a plain client
 * published with no properties at all is processed, and a plain client reads Warren's messages
 * with `JSON.parse(body).task` and the fields beside it.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { type AnyTask, type Catalog, TASK_KEY } from "./catalog.ts";
import { formatIssues } from "./errors.ts";
import { stringifyJson } from "./json.ts";
import { toIssues } from "./validation.ts";

/** Names of the headers Warren reads and writes. */
export const HEADERS = {
  /** Attempts already made before this copy (absent: none). */
  attempts: "x-warren-attempts",
  /** Times a worker died while running the task (classic queues; quorum queues count for us). */
  deaths: "x-warren-deaths",
  /** Dead letters: why the task was given up, one of {@linkcode DeadReason}. */
  reason: "x-warren-reason",
  /** Dead letters and retries: the last error message. */
  error: "x-warren-error",
  /** Time of the first failure (ISO 8601). */
  firstFailure: "x-warren-first-failure",
  /** Time of the last failure (ISO 8601). */
  lastFailure: "x-warren-last-failure",
  /** Id of the worker that gave the task up. */
  worker: "x-warren-worker",
  /** The queue the task was taken from. */
  queue: "x-warren-queue",
} as const;

/** The header that quorum queues set on redelivered messages. */
export const DELIVERY_COUNT_HEADER = "x-delivery-count";

/** The `app_id` property of messages that Warren publishes. */
export const APP_ID = "warren";

/** Why a message went to the dead-letter queue. */
export type DeadReason =
  | "too-large"
  | "invalid-utf8"
  | "not-json"
  | "not-object"
  | "no-task"
  | "unknown-task"
  | "invalid-payload"
  | "failed"
  | "non-retryable"
  | "worker-died";

/** The AMQP properties Warren sets on the tasks it publishes. */
export interface TaskProperties {
  /** Always `true`: the broker writes the message to disk (`delivery_mode` 2). */
  readonly persistent: true;
  /** Always `application/json`. */
  readonly contentType: string;
  /** The task's id. */
  readonly messageId: string;
  /** The task's name. */
  readonly type: string;
  /** When it was made, in seconds since the epoch. */
  readonly timestamp: number;
  /** Always `warren`. */
  readonly appId: string;
  /** Always `true` (a publish option): a message that reaches no queue comes back. */
  readonly mandatory: true;
  /** Extra headers. */
  readonly headers?: Record<string, unknown>;
  /** Where the worker sends the task's outcome, when asked. */
  readonly replyTo?: string;
}

/** The parts of a delivered message that decoding reads. */
export interface IncomingMessage {
  /** The body. */
  readonly content: Uint8Array;
  /** The properties; all optional, since a plain client may set none. */
  readonly properties: {
    readonly messageId?: unknown;
    readonly headers?: Record<string, unknown> | undefined;
  };
}

/** A task ready to publish: its id, body and properties. */
export interface EncodedTask {
  /** The message id. */
  readonly id: string;
  /** The task's name. */
  readonly task: string;
  /** The JSON body. */
  readonly body: Buffer;
  /** The AMQP properties. */
  readonly properties: TaskProperties;
}

/** Options of {@linkcode encodeTask}. */
export interface EncodeOptions {
  /**
   * The message id.
   * @default {a new random UUID}
   */
  id?: string;
  /**
   * Extra headers.
   * @default {{}}
   */
  headers?: Record<string, unknown>;
  /**
   * Where the worker sends the task's outcome (`reply_to`), e.g. RabbitMQ's direct reply-to.
   * @default {none: no outcome is sent}
   */
  replyTo?: string;
}

/**
 * Encodes a validated payload as a persistent JSON message.
 *
 * @example
 * ```ts
 * import { encodeTask } from "./codec.ts";
 *
 * const message = encodeTask("sum", { start: 1, end: 10 });
 * message.body.toString(); // '{"task":"sum","start":1,"end":10}'
 * ```
 */
export function encodeTask(
  task: string,
  payload: Readonly<Record<string, unknown>>,
  options: EncodeOptions = {},
): EncodedTask {
  const id = options.id ?? crypto.randomUUID();
  // `task` first, and never overwritten by a payload that happens to carry the key.
  const fields: Record<string, unknown> = { [TASK_KEY]: task, ...payload };
  fields[TASK_KEY] = task;
  const body = Buffer.from(JSON.stringify(fields));
  return {
    id,
    task,
    body,
    properties: {
      persistent: true,
      contentType: "application/json",
      messageId: id,
      type: task,
      timestamp: Math.floor(Date.now() / 1000),
      appId: APP_ID,
      mandatory: true,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
    },
  };
}

/** A message that decoded into a known task with a valid payload. */
export interface DecodedTask {
  /** Always `true`. */
  readonly ok: true;
  /** The message id (or, for a message without one, a digest of its body). */
  readonly id: string;
  /** The task's definition. */
  readonly task: AnyTask;
  /** The payload as the schema parsed it. */
  readonly payload: Record<string, unknown>;
  /** The attempts made before this delivery. */
  readonly attempts: number;
}

/** A message that cannot be run, and why. */
export interface UndecodableTask {
  /** Always `false`. */
  readonly ok: false;
  /** The message id (or, for a message without one, a digest of its body). */
  readonly id: string;
  /** The task name, when the body named one. */
  readonly task?: string;
  /** Why it cannot be run. */
  readonly reason: DeadReason;
  /** What exactly is wrong. */
  readonly error: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The message id of a delivery, or a digest of its body when it has none. */
export function messageId(message: IncomingMessage): string {
  const id: unknown = message.properties.messageId;
  if (typeof id === "string" && id !== "") return id;
  return "sha256:" + createHash("sha256").update(message.content).digest("hex").slice(0, 24);
}

/** A header's value as a non-negative integer (0 when absent or malformed). */
export function countHeader(message: Pick<IncomingMessage, "properties">, name: string): number {
  const value: unknown = message.properties.headers?.[name];
  const count = typeof value === "number" ? value : typeof value === "string" ? Number(value) : 0;
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}

/**
 * Decodes a delivery against the catalog: size, UTF-8, JSON object, known task, valid payload.
 * Never throws: what cannot be run comes back with the reason.
 */
export function decodeTask(
  message: IncomingMessage,
  catalog: Catalog,
  maxBytes: number,
): DecodedTask | UndecodableTask {
  const id = messageId(message);
  const fail = (reason: DeadReason, error: string, task?: string): UndecodableTask => ({
    ok: false,
    id,
    reason,
    error,
    ...(task === undefined ? {} : { task }),
  });
  const { content } = message;
  if (content.length > maxBytes) {
    return fail("too-large", `body of ${content.length} bytes is over the limit of ${maxBytes}`);
  }
  let text: string;
  try {
    text = utf8.decode(content);
  } catch {
    return fail("invalid-utf8", "body is not valid UTF-8");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : String(err);
    return fail("not-json", content.length === 0 ? "body is empty" : `body is not JSON: ${detail}`);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    const kind = body === null ? "null" : Array.isArray(body) ? "an array" : typeof body;
    return fail("not-object", `body is ${kind}, not a JSON object`);
  }
  const { [TASK_KEY]: name, ...payload } = body as Record<string, unknown>;
  if (typeof name !== "string") {
    return fail("no-task", `body has no string '${TASK_KEY}' naming the task`);
  }
  const task = catalog.get(name);
  if (!task) {
    return fail(
      "unknown-task",
      `unknown task '${name}': this worker knows ${catalog.names.join(", ")}`,
      name,
    );
  }
  const parsed = task.schema.safeParse(payload);
  if (!parsed.success) {
    const details = formatIssues(toIssues(parsed.error.issues));
    return fail("invalid-payload", `invalid payload: ${details}`, name);
  }
  return {
    ok: true,
    id,
    task,
    payload: parsed.data,
    attempts: countHeader(message, HEADERS.attempts),
  };
}

/** What a worker reports to a producer that asked for a task's result. */
export type TaskOutcome =
  | {
    /** The task's message id. */
    readonly id: string;
    /** The task's name. */
    readonly task: string;
    /** The handler finished. */
    readonly ok: true;
    /** What it returned, as JSON (bigints as decimal strings). */
    readonly result: unknown;
  }
  | {
    /** The task's message id. */
    readonly id: string;
    /** The task's name, when the message named one. */
    readonly task?: string;
    /** The task was dead-lettered. */
    readonly ok: false;
    /** Why. */
    readonly reason: DeadReason;
    /** The last error. */
    readonly error: string;
  };

/** Encodes a task's outcome as the JSON body of a reply. */
export function encodeOutcome(outcome: TaskOutcome): Buffer {
  return Buffer.from(stringifyJson(outcome));
}

const replyText = new TextDecoder();

/** Decodes a reply body; `undefined` when it is not an outcome. */
export function decodeOutcome(body: Uint8Array): TaskOutcome | undefined {
  let value: unknown;
  try {
    value = JSON.parse(replyText.decode(body));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const outcome = value as Partial<Record<string, unknown>>;
  if (typeof outcome.id !== "string" || typeof outcome.ok !== "boolean") return undefined;
  return value as TaskOutcome;
}
