/**
 * Task ids: 22 characters of base64url, 128 random bits (as random as a v4 UUID, which has 122,
 * in 14 fewer characters on every message). Any string is a valid id on the wire: messages of
 * older versions carry UUIDs, and an enqueue may give its own.
 *
 * @module
 */

/** The length of the ids {@linkcode newTaskId} makes. */
export const TASK_ID_LENGTH = 22;

/**
 * A new random task id.
 *
 * @example
 * ```ts
 * import { newTaskId } from "./task_id.ts";
 *
 * /^[A-Za-z0-9_-]{22}$/.test(newTaskId()); // true
 * ```
 */
export function newTaskId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).slice(0, TASK_ID_LENGTH).replaceAll("+", "-").replaceAll("/", "_");
}
