/**
 * The `enqueued` event of a task message, as a producer writes it to the history.
 *
 * @module
 */
import { HEADERS } from "../wire/headers.ts";
import type { NewHistoryEvent } from "../wire/events.ts";
import type { EncodedTask } from "../wire/task_codec.ts";

/** The `enqueued` event of `message`; its payload too when `withPayload`. */
export function enqueuedEvent(message: EncodedTask, withPayload: boolean): NewHistoryEvent {
  const { id, task, notBefore, properties } = message;
  const expires: unknown = properties.headers?.[HEADERS.expires];
  let payload: Record<string, unknown> | undefined;
  if (withPayload) {
    const { task: _name, ...rest } = JSON.parse(message.body.toString()) as Record<
      string,
      unknown
    >;
    payload = rest;
  }
  return {
    event: "enqueued",
    id,
    task,
    ...(notBefore !== undefined && notBefore > Date.now()
      ? { notBefore: new Date(notBefore).toISOString() }
      : {}),
    ...(typeof expires === "number" ? { expires: new Date(expires).toISOString() } : {}),
    ...(properties.priority === undefined ? {} : { priority: properties.priority }),
    ...(payload ? { payload } : {}),
  };
}
