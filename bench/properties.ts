/**
 * Message properties one at a time: the names the plain producer takes (`props=<names>`), the
 * publish options each adds, and which of them Warren sets on a task.
 *
 * @module
 */
import type { Options } from "amqplib";

/** Every property (or publish flag) whose cost can be measured alone. */
export const PROPERTY_NAMES = [
  "messageId",
  "shortId",
  "contentType",
  "type",
  "timestamp",
  "appId",
  "headers",
  "mandatory",
] as const;

/** One of {@linkcode PROPERTY_NAMES}. */
export type PropertyName = typeof PROPERTY_NAMES[number];

/** What Warren sets on the tasks it publishes (the `plain-props` variant). */
export const WARREN_PROPERTIES: readonly PropertyName[] = [
  "shortId",
  "contentType",
  "type",
  "timestamp",
  "mandatory",
];

/** A random id of 22 base64url characters (128 bits), as long as a UUID is random. */
export function shortId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .slice(0, 22);
}

/** The publish options of a persistent message with the properties `names`, built anew. */
export function publishOptions(names: readonly PropertyName[], task: string): Options.Publish {
  const options: Options.Publish = { persistent: true };
  for (const name of names) {
    switch (name) {
      case "messageId":
        options.messageId = crypto.randomUUID();
        break;
      case "shortId":
        options.messageId = shortId();
        break;
      case "contentType":
        options.contentType = "application/json";
        break;
      case "type":
        options.type = task;
        break;
      case "timestamp":
        options.timestamp = Math.floor(Date.now() / 1000);
        break;
      case "appId":
        options.appId = "warren";
        break;
      case "headers":
        options.headers = { "x-warren-attempts": 1 };
        break;
      case "mandatory":
        options.mandatory = true;
        break;
    }
  }
  return options;
}
