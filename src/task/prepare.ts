/**
 * Turning a task name and payload into a message, before any connection exists: the catalog is
 * asked for the task, the payload is validated, and the parsed payload is encoded. Invalid input
 * throws, naming the field, and nothing is published.
 *
 * @module
 */
import { UnknownTaskError } from "../errors/unknown_task_error.ts";
import { ValidationError } from "../errors/validation_error.ts";
import { type EncodedTask, type EncodeOptions, encodeTask, TASK_KEY } from "../wire/task_codec.ts";
import type { Catalog, TaskInput, TaskName } from "./catalog.ts";
import { validatePayload } from "./validation.ts";

/** Options of {@linkcode prepareTask}: those of `encodeTask` but the version (the contract's). */
export interface PrepareOptions extends Omit<EncodeOptions, "version"> {
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
  const { maxBytes, ...encode } = options;
  const message = encodeTask(name, validatePayload(contract, payload), {
    ...encode,
    version: contract.version,
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
