/**
 * The control stream's message format (a public contract): each message of the stream
 * `Q.control` is one UTF-8 JSON object `{"v": 1, "op": "cancel", "id", "at", "by", "drop"}`:
 * a request that the task `id` not run, or stop running. Workers read the stream from a window
 * when they start and follow it while they run. Its `correlation_id` property is the task's id;
 * a message whose `type` property is `warren.marker` is not a request (see `events.ts`).
 *
 * A replay of a dead letter appends `{"v": 1, "op": "replay", "id", "at", "by"}`: the cancels of
 * task `id` made before `at` no longer apply (its replayed copy also carries the time of the
 * replay in the header `x-warren-replayed`).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { stringifyJson } from "../util/json.ts";
import { parseBoundedJson } from "./bounded_json.ts";

/** A request to cancel one task. */
export interface CancelRequest {
  /** The format's version: 1. */
  readonly v: 1;
  /** What is asked. */
  readonly op: "cancel";
  /** The task's id. */
  readonly id: string;
  /** When it was asked, ISO 8601. */
  readonly at: string;
  /** Who asked (a host and process, or what the caller gave). */
  readonly by: string;
  /** Drop the task rather than dead-letter it with reason `cancelled`. */
  readonly drop?: boolean;
}

/**
 * Encodes a cancel request of task `id`.
 *
 * @example
 * ```ts
 * import { decodeCancel, encodeCancel } from "./control.ts";
 *
 * decodeCancel(encodeCancel("t1", { by: "ops" }))?.id; // "t1"
 * ```
 */
export function encodeCancel(id: string, options: { by: string; drop?: boolean }): Buffer {
  const request: CancelRequest = {
    v: 1,
    op: "cancel",
    id,
    at: new Date().toISOString(),
    by: options.by,
    ...(options.drop ? { drop: true } : {}),
  };
  return Buffer.from(stringifyJson(request));
}

const text = new TextDecoder();

/** Decodes a control message's body; `undefined` when it is not a cancel request. */
export function decodeCancel(body: Uint8Array): CancelRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text.decode(body));
  } catch {
    return undefined;
  }
  const request = value as Partial<Record<string, unknown>> | null;
  if (
    typeof request !== "object" || request === null || request.v !== 1 ||
    request.op !== "cancel" || typeof request.id !== "string" || typeof request.at !== "string"
  ) {
    return undefined;
  }
  return value as CancelRequest;
}

/** A note that task `id`'s dead letter was replayed: cancels of it made before `at` lapse. */
export interface ReplayNote {
  /** The format's version: 1. */
  readonly v: 1;
  /** What it says. */
  readonly op: "replay";
  /** The task's id. */
  readonly id: string;
  /** When it was replayed, ISO 8601. */
  readonly at: string;
  /** Who replayed it. */
  readonly by: string;
}

/**
 * Encodes a note that task `id` was replayed at `at`.
 *
 * @example
 * ```ts
 * import { decodeReplayNote, encodeReplayNote } from "./control.ts";
 *
 * decodeReplayNote(encodeReplayNote("t1", { by: "ops", at: new Date().toISOString() }))?.op; // "replay"
 * ```
 */
export function encodeReplayNote(id: string, options: { by: string; at: string }): Buffer {
  const note: ReplayNote = { v: 1, op: "replay", id, at: options.at, by: options.by };
  return Buffer.from(stringifyJson(note));
}

/** The most bytes of a replay note that a reader reads. */
const MAX_NOTE_BYTES = 4096;

/** Decodes a control message's body; `undefined` when it is not a replay note (or too large). */
export function decodeReplayNote(body: Uint8Array): ReplayNote | undefined {
  const json = parseBoundedJson(body, { maxBytes: MAX_NOTE_BYTES, maxDepth: 2 });
  if (!json.ok) return undefined;
  const note = json.value as Partial<Record<string, unknown>> | null;
  if (
    typeof note !== "object" || note === null || Array.isArray(note) || note.v !== 1 ||
    note.op !== "replay" || typeof note.id !== "string" || typeof note.at !== "string" ||
    typeof note.by !== "string"
  ) {
    return undefined;
  }
  return { v: 1, op: "replay", id: note.id, at: note.at, by: note.by };
}
