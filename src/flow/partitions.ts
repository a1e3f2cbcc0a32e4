/**
 * Keys and partitions, pure: a keyed task goes to the partition of a hash of its key (FNV-1a,
 * 32 bits), so every task of one key goes to the same partition whichever producer sends it.
 * With a key concurrency of N above 1, each task takes one of N slots of its key at random,
 * each slot hashed on its own: at most N partitions, each running one task at a time, hold the
 * key's tasks, so at most N of them run at once (fewer when two slots share a partition).
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";
import { ValidationError } from "../errors/validation_error.ts";
import type { AnyContract } from "../task/contract.ts";
import { boundText, utf8Bytes } from "../util/bounds.ts";

/** The number of key partitions when none is given. */
export const DEFAULT_PARTITIONS = 16;

/** The most key partitions. */
export const MAX_PARTITIONS = 1024;

/** The longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Checks a partition count; `action` names what was being done, for errors. */
export function checkPartitions(count: number, action: string): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) {
    throw new ConfigError(
      `Cannot ${action} as 'partitions' must be an integer from 1 to ${MAX_PARTITIONS}: current value is ${count}`,
    );
  }
  return count;
}

/** FNV-1a, 32 bits, of the UTF-8 bytes of `text`. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The partition of `key` among `count` (and of its slot `slot`, for a key concurrency above 1).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { partitionOf } from "./partitions.ts";
 *
 * assertEquals(partitionOf("acct-1", 16), partitionOf("acct-1", 16));
 * partitionOf("acct-1", 16) < 16; // true
 * ```
 */
export function partitionOf(key: string, count: number, slot = 0): number {
  return fnv1a(slot === 0 ? key : `${key}#${slot}`) % count;
}

/**
 * The key of a task of `contract` whose payload (as it travels) is `payload`, as text; throws a
 * `ValidationError` when the payload gives none (not a string or a finite number, or too long).
 */
export function keyOf(contract: AnyContract, payload: Readonly<Record<string, unknown>>): string {
  let value: unknown;
  try {
    value = contract.key!(payload);
  } catch (err) {
    throw new ValidationError(contract.name, [{
      path: contract.keyField ?? "",
      message: `its key could not be read: ${
        boundText(err instanceof Error ? err.message : String(err), 200)
      }`,
    }]);
  }
  const text = typeof value === "string"
    ? value
    : typeof value === "number" && Number.isFinite(value)
    ? String(value)
    : undefined;
  if (text === undefined || utf8Bytes(text) > MAX_KEY_BYTES) {
    throw new ValidationError(contract.name, [{
      path: contract.keyField ?? "",
      message:
        `its key must be a string of at most ${MAX_KEY_BYTES} bytes or a finite number: got ${
          shown(value)
        }`,
    }]);
  }
  return text;
}

/** A key that is not one, for an error: its JSON cut short, or its type (a bigint, a cycle). */
function shown(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = `a ${typeof value} that is not JSON`;
  }
  return boundText(text, 80);
}
