/**
 * Dead letters written straight into a dead-letter queue, with the headers and properties a
 * Warren worker sets after a task's last failed attempt.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { HEADERS } from "../../src/wire/headers.ts";
import type { RawClient } from "./broker.ts";

/** A dead letter as a worker writes it after the last failed attempt. */
export interface Letter {
  readonly id: string;
  readonly body: string;
  readonly reason?: string;
  readonly error?: string;
  readonly attempts?: number;
}

/** Publishes `letters` into `dead`, with the headers and properties a Warren worker sets. */
export async function putDeadLetters(
  client: RawClient,
  dead: string,
  letters: readonly Letter[],
): Promise<void> {
  const channel = await client.connection.createConfirmChannel();
  await channel.assertQueue(dead, { durable: true });
  for (const letter of letters) {
    let type: string | undefined;
    try {
      type = (JSON.parse(letter.body) as { task?: string }).task;
    } catch {
      type = undefined;
    }
    channel.sendToQueue(dead, Buffer.from(letter.body), {
      persistent: true,
      messageId: letter.id,
      contentType: "application/json",
      timestamp: 1_700_000_000,
      ...(type === undefined ? {} : { type }),
      headers: {
        [HEADERS.reason]: letter.reason ?? "failed",
        [HEADERS.error]: letter.error ?? "boom",
        [HEADERS.attempts]: letter.attempts ?? 4,
        [HEADERS.redeliveries]: 0,
        [HEADERS.firstFailure]: "2025-06-01T10:00:00.000Z",
        [HEADERS.lastFailure]: "2025-06-01T10:00:07.000Z",
        [HEADERS.worker]: "host-a-42",
        [HEADERS.queue]: dead.replace(/\.dead$/, ""),
        "x-tenant": "acme",
      },
    });
  }
  await channel.waitForConfirms();
  await channel.close();
}
