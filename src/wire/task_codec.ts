/**
 * The task wire format, a public contract: a flat UTF-8 JSON object
 * `{"task": "<name>", ...payload}`, persistent.
 *
 * Warren also sets message properties (a message id, the contract version in `type`, …) and its
 * own headers, but reads none of them as required: a message that a plain client published with
 * no properties at all is processed, and a plain client reads Warren's messages with
 * `JSON.parse(body).task` and the fields beside it.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { DeadReason } from "./dead_reasons.ts";
import { HEADERS } from "./headers.ts";
import { newTaskId } from "./task_id.ts";
import { jsonTextDepth, MAX_JSON_DEPTH } from "../util/bounds.ts";

/** The body key that names the task. Payload schemas may not use it. */
export const TASK_KEY = "task";

/**
 * The largest body a worker reads and a producer sends, by default: 4 MiB, below RabbitMQ's own
 * `max_message_size` (16 MiB by default on 4.x, 128 MiB on 3.x).
 */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** The AMQP properties Warren sets on the tasks it publishes. */
export interface TaskProperties {
  /** Always `true`: the broker writes the message to disk (`delivery_mode` 2). */
  readonly persistent: true;
  /** Always `application/json`. */
  readonly contentType: string;
  /** The task's id. */
  readonly messageId: string;
  /** The version of the task's contract (a hash of its schemas), or its name when not given. */
  readonly type: string;
  /** When it was made, in seconds since the epoch. */
  readonly timestamp: number;
  /** Always `true` (a publish option): a message that reaches no queue comes back. */
  readonly mandatory: true;
  /** Extra headers. */
  readonly headers?: Record<string, unknown>;
  /** Where the worker sends the task's outcome, when asked. */
  readonly replyTo?: string;
  /** The task's priority, when it has one. */
  readonly priority?: number;
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
  /**
   * When it may run (epoch ms): until then it waits in the delay levels. Not on the wire: the
   * broker holds it as long as it must.
   */
  readonly notBefore?: number;
}

/** Options of {@linkcode encodeTask}. */
export interface EncodeOptions {
  /**
   * The message id.
   * @default {a new random id of 22 characters: see `task_id.ts`}
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
  /**
   * The version of the task's contract, carried in the `type` property.
   * @default {the task's name}
   */
  version?: string;
  /**
   * When the task may run, in epoch milliseconds.
   * @default {now}
   */
  notBefore?: number;
  /**
   * When the task expires, in epoch milliseconds (the `x-warren-expires` header).
   * @default {never}
   */
  expiresAt?: number;
  /**
   * The task's priority (the `priority` property).
   * @default {none}
   */
  priority?: number;
}

/**
 * Encodes a validated payload as a persistent JSON message.
 *
 * @example
 * ```ts
 * import { encodeTask } from "./task_codec.ts";
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
  const id = options.id ?? newTaskId();
  // `task` first, and never overwritten by a payload that happens to carry the key.
  const fields: Record<string, unknown> = { [TASK_KEY]: task, ...payload };
  fields[TASK_KEY] = task;
  const body = Buffer.from(JSON.stringify(fields));
  const headers = options.expiresAt === undefined
    ? options.headers
    : { ...options.headers, [HEADERS.expires]: options.expiresAt };
  return {
    id,
    task,
    body,
    ...(options.notBefore === undefined ? {} : { notBefore: options.notBefore }),
    properties: {
      persistent: true,
      contentType: "application/json",
      messageId: id,
      type: options.version ?? task,
      timestamp: Math.floor(Date.now() / 1000),
      mandatory: true,
      ...(headers ? { headers } : {}),
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      ...(options.priority === undefined ? {} : { priority: options.priority }),
    },
  };
}

/** The parts of a delivered message that decoding reads. */
export interface IncomingMessage {
  /** The body. */
  readonly content: Uint8Array;
  /** The properties; all optional, since a plain client may set none. */
  readonly properties: {
    readonly messageId?: unknown;
    readonly type?: unknown;
    readonly headers?: Record<string, unknown> | undefined;
  };
}

/** A body that holds a task: its name and the other fields, not yet checked against a schema. */
export interface TaskBody {
  /** Always `true`. */
  readonly ok: true;
  /** The message id (or, for a message without one, a digest of its body). */
  readonly id: string;
  /** The task's name. */
  readonly task: string;
  /** The fields beside `task`. */
  readonly fields: Record<string, unknown>;
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

/**
 * When a replayed dead letter was replayed (its `x-warren-replayed` header, ISO 8601), or
 * `undefined` for a copy that was not replayed or whose header is not a plausible time.
 */
export function replayedAt(message: Pick<IncomingMessage, "properties">): string | undefined {
  const value: unknown = message.properties.headers?.[HEADERS.replayed];
  if (typeof value !== "string" || value.length > 40 || Number.isNaN(Date.parse(value))) {
    return undefined;
  }
  return value;
}

/** A header's value as a non-negative integer (0 when absent or malformed). */
export function countHeader(message: Pick<IncomingMessage, "properties">, name: string): number {
  const value: unknown = message.properties.headers?.[name];
  const count = typeof value === "number" ? value : typeof value === "string" ? Number(value) : 0;
  return Number.isSafeInteger(count) && count > 0 ? count : 0;
}

/** An undecodable task of `message` with `reason` and `error`. */
export function undecodable(
  id: string,
  reason: DeadReason,
  error: string,
  task?: string,
): UndecodableTask {
  return { ok: false, id, reason, error, ...(task === undefined ? {} : { task }) };
}

/**
 * Reads a delivery's body: size, UTF-8, nesting (at most `MAX_JSON_DEPTH` levels), a JSON
 * object, a string `task`. Never throws: what
 * cannot be read comes back with the reason.
 */
export function decodeBody(message: IncomingMessage, maxBytes: number): TaskBody | UndecodableTask {
  const id = messageId(message);
  const { content } = message;
  if (content.length > maxBytes) {
    return undecodable(
      id,
      "too-large",
      `body of ${content.length} bytes is over the limit of ${maxBytes}`,
    );
  }
  let text: string;
  try {
    text = utf8.decode(content);
  } catch {
    return undecodable(id, "invalid-utf8", "body is not valid UTF-8");
  }
  const nesting = jsonTextDepth(text, MAX_JSON_DEPTH);
  if (nesting.tooDeep) {
    return undecodable(
      id,
      "too-large",
      `body nests over ${MAX_JSON_DEPTH} levels deep (the limit of every JSON Warren reads)`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : String(err);
    const error = content.length === 0 ? "body is empty" : `body is not JSON: ${detail}`;
    return undecodable(id, "not-json", error);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    const kind = body === null ? "null" : Array.isArray(body) ? "an array" : typeof body;
    return undecodable(id, "not-object", `body is ${kind}, not a JSON object`);
  }
  const { [TASK_KEY]: task, ...fields } = body as Record<string, unknown>;
  if (typeof task !== "string") {
    return undecodable(id, "no-task", `body has no string '${TASK_KEY}' naming the task`);
  }
  return { ok: true, id, task, fields };
}
