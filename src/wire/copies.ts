/**
 * Copies of a delivered message, for the retry, dead-letter and requeue paths: the same body and
 * properties, the broker's own bookkeeping headers dropped, Warren's headers updated.
 *
 * @module
 */
import type { MessageProperties, Options } from "../deps/amqplib.ts";
import { BROKER_HEADERS } from "./headers.ts";

/** Publish properties for a persistent copy of `message` with `headers` set on top of its own. */
export function copyProperties(
  message: { readonly properties: Partial<MessageProperties> },
  id: string,
  headers: Record<string, unknown>,
): Options.Publish {
  const p = message.properties;
  const kept: Record<string, unknown> = { ...(p.headers as Record<string, unknown> | undefined) };
  for (const name of BROKER_HEADERS) delete kept[name];
  const properties: Options.Publish = {
    persistent: true,
    messageId: id,
    headers: { ...kept, ...headers },
  };
  const optional = {
    contentType: p.contentType,
    contentEncoding: p.contentEncoding,
    type: p.type,
    timestamp: p.timestamp,
    appId: p.appId,
    correlationId: p.correlationId,
    replyTo: p.replyTo,
    priority: p.priority,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined && value !== null) Object.assign(properties, { [key]: value });
  }
  return properties;
}
