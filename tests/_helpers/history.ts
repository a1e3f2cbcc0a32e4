/**
 * Reading a work queue's history stream whole in tests, as the library reads it.
 *
 * @module
 */
import { BrokerConnection } from "../../src/broker/connection.ts";
import { queueNames } from "../../src/broker/topology.ts";
import { readUntilNow } from "../../src/history/stream_reader.ts";
import { decodeEvent, eventBodies, type HistoryEvent } from "../../src/wire/events.ts";
import { TEST_URL } from "./broker.ts";

/** Every event of `queue`'s history, in stream order. */
export async function readHistory(queue: string, url = TEST_URL): Promise<HistoryEvent[]> {
  const connection = await BrokerConnection.open(
    { urls: [url], name: "history test reader" },
    async () => {},
  );
  const events: HistoryEvent[] = [];
  try {
    await readUntilNow(await connection.ready(10_000), queueNames(queue).events, (message) => {
      for (const body of eventBodies(message)) {
        const event = decodeEvent(body);
        if (event) events.push(event);
      }
    });
  } finally {
    await connection.close();
  }
  return events;
}

/** The events of each task, by id, in stream order. */
export function byTask(events: readonly HistoryEvent[]): Map<string, HistoryEvent[]> {
  const tasks = new Map<string, HistoryEvent[]>();
  for (const event of events) {
    const list = tasks.get(event.id) ?? [];
    list.push(event);
    tasks.set(event.id, list);
  }
  return tasks;
}

/** A task's events in short: `["enqueued", "started 1", "retried 1", "succeeded 2"]`. */
export function steps(events: readonly HistoryEvent[]): string[] {
  return events.map((event) =>
    "attempt" in event ? `${event.event} ${event.attempt}` : event.event
  );
}
