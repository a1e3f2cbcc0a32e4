/**
 * Turning a task name and payload into a message, before any connection exists: the catalog is
 * asked for the task, the payload is validated, and the parsed payload is encoded. Invalid input
 * throws, naming the field, and nothing is published.
 *
 * @module
 */
import { MAX_DELAY_MS } from "../wire/delays.ts";
import { ConfigError } from "../errors/config_error.ts";
import { UnknownTaskError } from "../errors/unknown_task_error.ts";
import { checkNumber } from "../util/numbers.ts";
import { ValidationError } from "../errors/validation_error.ts";
import { type EncodedTask, type EncodeOptions, encodeTask, TASK_KEY } from "../wire/task_codec.ts";
import type { Catalog, TaskInput, TaskName } from "./catalog.ts";
import { validatePayload } from "./validation.ts";

/**
 * Options of {@linkcode prepareTask}: those of `encodeTask` but the version (the contract's),
 * with times given as a delay, a time to run at, and an expiry.
 */
export interface PrepareOptions
  extends Omit<EncodeOptions, "version" | "notBefore" | "expiresAt" | "priority"> {
  /**
   * Run the task no sooner than this many milliseconds from now (0 to about 621 days).
   * @default {0: at once}
   */
  delay?: number;
  /**
   * Run the task no sooner than this time (a time in the past: at once). Not with `delay`.
   * @default {now}
   */
  at?: Date;
  /**
   * When the task may no longer start: a number of milliseconds from now, or a time. A worker
   * that gets it later dead-letters it unrun, with reason `expired`.
   * @default {the contract's `expires`, else never}
   */
  expires?: number | Date;
  /**
   * The task's priority, 0 to 255 (see `TaskOptions.priority`).
   * @default {the contract's `priority`, else none}
   */
  priority?: number;
  /**
   * The time now, in epoch milliseconds (for tests).
   * @default {Date.now()}
   */
  now?: number;
  /**
   * Largest body accepted, in bytes: a larger one is a `ValidationError` (workers would
   * dead-letter it unread as `too-large`).
   * @default {no limit}
   */
  maxBytes?: number;
}

/**
 * Validates `payload` against task `name` of the catalog and encodes it, stamped with the
 * contract's version. Throws {@linkcode UnknownTaskError} or {@linkcode ValidationError}.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineCatalog } from "./catalog.ts";
 * import { defineTask } from "./contract.ts";
 * import { prepareTask } from "./prepare.ts";
 *
 * const catalog = defineCatalog(defineTask({ name: "double", schema: z.object({ n: z.number() }) }));
 * const message = prepareTask(catalog, "double", { n: 21 });
 * message.body.toString(); // '{"task":"double","n":21}'
 * ```
 */
export function prepareTask<C extends Catalog, N extends TaskName<C>>(
  catalog: C,
  name: N,
  payload: TaskInput<C, N>,
  options: PrepareOptions = {},
): EncodedTask {
  const contract = catalog.get(name);
  if (!contract) throw new UnknownTaskError(name, catalog.names);
  const { maxBytes, delay, at, expires, priority, now: given, ...encode } = options;
  const now = given ?? Date.now();
  const times = scheduleOf(name, now, { delay, at, expires: expires ?? contract.expires });
  const level = priority ?? contract.priority;
  if (level !== undefined) {
    checkNumber(level, "priority", `enqueue task '${name}'`, { max: 255, min: 0 });
  }
  const message = encodeTask(name, validatePayload(contract, payload), {
    ...encode,
    version: contract.version,
    ...times,
    ...(level === undefined ? {} : { priority: level }),
  });
  if (maxBytes !== undefined && message.body.length > maxBytes) {
    throw new ValidationError(name, [{
      path: "",
      message:
        `the message body is ${message.body.length} bytes, over the limit of ${maxBytes} (workers dead-letter larger ones unread as too-large; raise maxMessageBytes on both sides, within the broker's max_message_size)`,
    }]);
  }
  return message;
}

/** When a task may run and when it expires, in epoch ms, checked against each other. */
function scheduleOf(
  task: string,
  now: number,
  given: { delay?: number | undefined; at?: Date | undefined; expires?: number | Date | undefined },
): { notBefore?: number; expiresAt?: number } {
  const action = `enqueue task '${task}'`;
  if (given.delay !== undefined && given.at !== undefined) {
    throw new ConfigError(`Cannot ${action} with both 'delay' and 'at': give one`);
  }
  if (given.delay !== undefined) {
    checkNumber(given.delay, "delay", action, { integer: false, min: 0, max: MAX_DELAY_MS });
  }
  if (given.at !== undefined && !Number.isFinite(given.at.getTime())) {
    throw new ConfigError(`Cannot ${action} as 'at' is not a valid time`);
  }
  const start = given.at?.getTime() ?? now + (given.delay ?? 0);
  if (start - now > MAX_DELAY_MS) {
    throw new ConfigError(
      `Cannot ${action} at ${
        new Date(start).toISOString()
      }: the latest is ${MAX_DELAY_MS} ms (about 621 days) from now`,
    );
  }
  let expiresAt: number | undefined;
  if (given.expires instanceof Date) {
    expiresAt = given.expires.getTime();
    if (!Number.isFinite(expiresAt)) {
      throw new ConfigError(`Cannot ${action} as 'expires' is not a valid time`);
    }
  } else if (given.expires !== undefined) {
    expiresAt = now + checkNumber(given.expires, "expires", action, { integer: false, min: 1 });
  }
  if (expiresAt !== undefined && expiresAt <= Math.max(start, now)) {
    throw new ConfigError(
      `Cannot ${action}: it would expire (${
        new Date(expiresAt).toISOString()
      }) before it may start (${
        new Date(Math.max(start, now)).toISOString()
      }), so it could never run`,
    );
  }
  return {
    ...(start > now ? { notBefore: start } : {}),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/**
 * Validates a message in the wire shape, `{"task": "<name>", ...payload}`, and encodes it.
 * Throws {@linkcode UnknownTaskError} or {@linkcode ValidationError}.
 */
export function prepareWireTask(
  catalog: Catalog,
  body: unknown,
  options: PrepareOptions = {},
): EncodedTask {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError(undefined, [{ path: "", message: "expected a JSON object" }]);
  }
  const { [TASK_KEY]: name, ...payload } = body as Record<string, unknown>;
  if (typeof name !== "string") {
    throw new ValidationError(undefined, [{
      path: TASK_KEY,
      message: `expected a string naming the task (one of ${catalog.names.join(", ")})`,
    }]);
  }
  return prepareTask(catalog, name, payload, options);
}
