/**
 * The outcome a worker sends to a producer that asked for it (a public contract): a JSON object
 * `{"id", "task", "ok": true, "result"}` or `{"id", "task", "ok": false, "reason", "error"}`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { MAX_JSON_DEPTH, parseBoundedJson } from "../util/bounds.ts";
import { stringifyJson } from "../util/json.ts";
import type { DeadReason } from "./dead_reasons.ts";

/** A task's outcome: its result, or why it was dead-lettered. */
export type TaskOutcome<R = unknown> =
  | {
    /** The task's message id. */
    readonly id: string;
    /** The task's name. */
    readonly task: string;
    /** The handler finished. */
    readonly ok: true;
    /** What it returned (on the wire: as JSON, encoded by the task's result schema). */
    readonly result: R;
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

/**
 * Decodes a reply body; `undefined` when it is not an outcome: not JSON, nested deeper than a
 * result may be (`MAX_JSON_DEPTH` levels below the outcome), or not of its shape (a string `id`,
 * a boolean `ok`, a string `task` if any, and for a dead task a string `reason` and `error`).
 */
export function decodeOutcome(body: Uint8Array): TaskOutcome | undefined {
  const value = parseBoundedJson(replyText.decode(body), MAX_JSON_DEPTH + 1);
  if (typeof value !== "object" || value === null) return undefined;
  const outcome = value as Partial<Record<string, unknown>>;
  if (typeof outcome.id !== "string" || typeof outcome.ok !== "boolean") return undefined;
  if (outcome.task !== undefined && typeof outcome.task !== "string") return undefined;
  if (!outcome.ok && (typeof outcome.reason !== "string" || typeof outcome.error !== "string")) {
    return undefined;
  }
  return value as TaskOutcome;
}
