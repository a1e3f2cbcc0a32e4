/**
 * Task ids: 22 characters of base64url, 128 random bits (as random as a v4 UUID, which has 122,
 * in 14 fewer characters on every message). Any string is a valid id on the wire: messages of
 * older versions carry UUIDs, and an enqueue may give its own.
 *
 * @module
 */

/** The length of the ids {@linkcode newTaskId} makes. */
export const TASK_ID_LENGTH = 22;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ID_BYTES = 16;
/** Random bytes for the next 256 ids: one call to the random source per 256 ids. */
const POOL = new Uint8Array(ID_BYTES * 256);
let used = POOL.length;

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
  if (used === POOL.length) {
    crypto.getRandomValues(POOL);
    used = 0;
  }
  let i = used;
  used += ID_BYTES;
  let id = "";
  for (const end = i + ID_BYTES - 1; i < end; i += 3) {
    const n = (POOL[i]! << 16) | (POOL[i + 1]! << 8) | POOL[i + 2]!;
    id += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! +
      ALPHABET[n & 63]!;
  }
  const last = POOL[i]!;
  return id + ALPHABET[last >> 2]! + ALPHABET[(last & 3) << 4]!;
}
