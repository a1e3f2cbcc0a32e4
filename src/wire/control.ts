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
import { boundText, HEADER_TEXT_BYTES, parseBoundedJson, utf8Bytes } from "../util/bounds.ts";
import { stringifyJson } from "../util/json.ts";

/**
 * The largest control message read: 1 MiB. A request takes a few hundred bytes; a larger one is
 * still read (its `by` cut), so that a cancel is never lost to the length of its signature.
 */
export const MAX_CONTROL_BYTES = 1024 * 1024;

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
    by: boundText(options.by, HEADER_TEXT_BYTES),
    ...(options.drop ? { drop: true } : {}),
  };
  return Buffer.from(stringifyJson(request));
}

const text = new TextDecoder();

/**
 * Decodes a control message's body; `undefined` when it is not a cancel request: over
 * {@linkcode MAX_CONTROL_BYTES}, nested deep, not JSON, or not of the shape (an `id` of at most
 * 255 bytes, an `at` that is a time, a string `by`, a boolean `drop` if any). A `by` over 1 KiB
 * is cut with a marker.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeCancel } from "./control.ts";
 *
 * const body = (by: string) =>
 *   new TextEncoder().encode(JSON.stringify({ v: 1, op: "cancel", id: "t1", at: "2026-12-01T00:00:00Z", by }));
 * assertEquals(decodeCancel(body("ops"))?.by, "ops");
 * assertEquals(decodeCancel(body("x".repeat(20_000)))!.by.length < 1100, true);
 * ```
 */
export function decodeCancel(body: Uint8Array): CancelRequest | undefined {
  if (body.length > MAX_CONTROL_BYTES) return undefined;
  let value: unknown;
  try {
    value = parseBoundedJson(text.decode(body), 4);
  } catch {
    return undefined;
  }
  const request = value as Partial<Record<string, unknown>> | null | undefined;
  if (
    typeof request !== "object" || request === null || request.v !== 1 ||
    request.op !== "cancel" || typeof request.id !== "string" || request.id === "" ||
    utf8Bytes(request.id) > 255 || typeof request.at !== "string" || request.at.length > 64 ||
    Number.isNaN(Date.parse(request.at)) ||
    (request.by !== undefined && typeof request.by !== "string") ||
    (request.drop !== undefined && typeof request.drop !== "boolean")
  ) {
    return undefined;
  }
  return {
    v: 1,
    op: "cancel",
    id: request.id,
    at: request.at,
    by: boundText(typeof request.by === "string" ? request.by : "unknown", HEADER_TEXT_BYTES),
    ...(request.drop === true ? { drop: true } : {}),
  };
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
  if (body.length > MAX_NOTE_BYTES) return undefined;
  let value: unknown;
  try {
    value = parseBoundedJson(text.decode(body), 2);
  } catch {
    return undefined;
  }
  const note = value as Partial<Record<string, unknown>> | null | undefined;
  if (
    typeof note !== "object" || note === null || Array.isArray(note) || note.v !== 1 ||
    note.op !== "replay" || typeof note.id !== "string" || note.id === "" ||
    utf8Bytes(note.id) > 255 || typeof note.at !== "string" || note.at.length > 64 ||
    Number.isNaN(Date.parse(note.at)) ||
    typeof note.by !== "string"
  ) {
    return undefined;
  }
  return { v: 1, op: "replay", id: note.id, at: note.at, by: note.by };
}
