/**
 * Turning a task name and payload into a message, before any connection exists: the catalog is
 * asked for the task, the payload is validated, and the parsed payload is encoded. Invalid input
 * throws, naming the field, and nothing is published.
 *
 * @module
 */
import { type Catalog, TASK_KEY, type TaskInput, type TaskName } from "./catalog.ts";
import { type EncodedTask, type EncodeOptions, encodeTask } from "./codec.ts";
import { UnknownTaskError, ValidationError } from "./errors.ts";
import { validatePayload } from "./validation.ts";

/**
 * Validates `payload` against task `name` of the catalog and encodes it. Throws
 * {@linkcode UnknownTaskError} or {@linkcode ValidationError}.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineCatalog, defineTask } from "./catalog.ts";
 * import { prepareTask } from "./prepare.ts";
 *
 * const catalog = defineCatalog(defineTask({
 *   name: "double",
 *   schema: z.object({ n: z.number() }),
 *   handler: ({ n }) => 2 * n,
 * }));
 * const message = prepareTask(catalog, "double", { n: 21 });
 * message.body.toString(); // '{"task":"double","n":21}'
 * ```
 */
export function prepareTask<C extends Catalog, N extends TaskName<C>>(
  catalog: C,
  name: N,
  payload: TaskInput<C, N>,
  options: EncodeOptions = {},
): EncodedTask {
  const task = catalog.get(name);
  if (!task) throw new UnknownTaskError(name, catalog.names);
  return encodeTask(name, validatePayload(task, payload), options);
}

/**
 * Validates a message in the wire shape, `{"task": "<name>", ...payload}`, and encodes it.
 * Throws {@linkcode UnknownTaskError} or {@linkcode ValidationError}.
 */
export function prepareWireTask(
  catalog: Catalog,
  body: unknown,
  options: EncodeOptions = {},
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
