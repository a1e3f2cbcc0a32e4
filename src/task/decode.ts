/**
 * Decoding a delivery against a catalog: the wire checks (size, UTF-8, a JSON object naming its
 * task), then the task's contract and its payload schema. Never throws: what cannot be run
 * comes back with the reason.
 *
 * @module
 */
import { formatIssues } from "../errors/validation_error.ts";
import { HEADERS } from "../wire/headers.ts";
import { readNotBefore } from "../wire/not_before.ts";
import {
  countHeader,
  decodeBody,
  type IncomingMessage,
  undecodable,
  type UndecodableTask,
} from "../wire/task_codec.ts";
import type { Catalog } from "./catalog.ts";
import type { AnyContract } from "./contract.ts";
import { toIssues } from "./validation.ts";
import { isVersion } from "./version.ts";

/** A message that decoded into a known task with a valid payload. */
export interface DecodedTask {
  /** Always `true`. */
  readonly ok: true;
  /** The message id (or, for a message without one, a digest of its body). */
  readonly id: string;
  /** The task's contract. */
  readonly contract: AnyContract;
  /** The payload as the schema parsed it. */
  readonly payload: Record<string, unknown>;
  /** The attempts made before this delivery. */
  readonly attempts: number;
  /** The contract version the producer stamped, when the message carries one. */
  readonly version: string | undefined;
  /** When the task expires (epoch ms), when the message says. */
  readonly expiresAt: number | undefined;
  /**
   * When the task may start (epoch ms), when the message says (`x-warren-not-before`, read by
   * `readNotBefore`: a value that is no time is absent).
   */
  readonly notBefore?: number | undefined;
}

export type { UndecodableTask };

/** Decodes a delivery against `catalog`; bodies over `maxBytes` are not read. */
export function decodeTask(
  message: IncomingMessage,
  catalog: Catalog,
  maxBytes: number,
): DecodedTask | UndecodableTask {
  const body = decodeBody(message, maxBytes);
  if (!body.ok) return body;
  const { id, task, fields } = body;
  const contract = catalog.get(task);
  if (!contract) {
    return undecodable(
      id,
      "unknown-task",
      `unknown task '${task}': this worker knows ${catalog.names.join(", ")}`,
      task,
    );
  }
  const parsed = contract.schema.safeParse(fields);
  if (!parsed.success) {
    const details = formatIssues(toIssues(parsed.error.issues));
    return undecodable(id, "invalid-payload", `invalid payload: ${details}`, task);
  }
  const type = message.properties.type;
  const expires: unknown = message.properties.headers?.[HEADERS.expires];
  const notBefore = readNotBefore(message.properties.headers?.[HEADERS.notBefore]);
  return {
    ok: true,
    id,
    contract,
    payload: parsed.data,
    attempts: countHeader(message, HEADERS.attempts),
    version: isVersion(type) && type !== task ? type : undefined,
    expiresAt: typeof expires === "number" && Number.isFinite(expires) ? expires : undefined,
    ...(notBefore === undefined ? {} : { notBefore }),
  };
}
