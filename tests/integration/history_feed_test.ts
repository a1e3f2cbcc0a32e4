/**
 * The task feed (`TaskFeed`, what the dashboard's Tasks page shows) against the shared broker:
 * its counts per state and per task over a recent window, from the tasks it keeps, and its
 * tally of every event of the last hour.
 *
 * @module
 */
import { assertEquals } from "@std/assert";
import amqp from "amqplib";
import { Buffer } from "node:buffer";
import { Admin } from "../../src/admin/admin.ts";
import { streamOptions } from "../../src/broker/topology.ts";
import { encodeEvent, type NewHistoryEvent } from "../../src/wire/events.ts";
import { taskIdAt } from "../../src/wire/task_id.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { until } from "../_helpers/probe.ts";

/** Publishes `events` to `stream`, confirmed. */
async function publish(stream: string, events: readonly NewHistoryEvent[]): Promise<void> {
  const connection = await amqp.connect(TEST_URL);
  try {
    const channel = await connection.createConfirmChannel();
    for (const event of events) {
      const { body, properties } = encodeEvent(event);
      channel.sendToQueue(stream, Buffer.from(body), properties);
    }
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

Deno.test("the feed counts its recent tasks per state and per task, says when it let some go, and tallies the hour", async (t) => {
  const queue = uniqueQueue("warren_feed_counts");
  await using client = await rawClient();
  client.track(queue);
  const events = `${queue}.events`;
  await client.channel.assertQueue(
    events,
    streamOptions({ maxAgeMs: 3_600_000, maxBytes: 10_000_000 }),
  );
  const ids = Array.from({ length: 5 }, () => taskIdAt(Date.now()));
  await publish(events, [
    ...ids.map((id, i) => ({ event: "enqueued", id, task: i < 3 ? "tick" : "sum" }) as const),
    { event: "started", id: ids[3]!, task: "sum", worker: "w", attempt: 1 },
    { event: "succeeded", id: ids[0]!, task: "tick", worker: "w", attempt: 1, ms: 1, result: 1 },
  ]);
  const admin = await Admin.connect({ url: TEST_URL, queue });
  try {
    await t.step("every task of the window, per state and per task", async () => {
      const feed = await admin.feed();
      try {
        const counts = feed.counts(15 * 60_000);
        assertEquals([counts.tasks, counts.complete], [5, true]);
        assertEquals(counts.byState, { queued: 3, running: 1, succeeded: 1 });
        assertEquals(counts.byTask, [
          { task: "tick", tasks: 3, byState: { queued: 2, succeeded: 1 } },
          { task: "sum", tasks: 2, byState: { queued: 1, running: 1 } },
        ]);
        assertEquals(feed.counts(60_000, Date.now() + 3_600_000).tasks, 0, "a window past them");
        assertEquals(feed.tasks({ task: "sum" }).map((r) => r.id).sort(), ids.slice(3).sort());
        // The hour's tally: every event, per task, and the run time of the success.
        const hour = feed.tally();
        assertEquals(hour.complete, true);
        assertEquals(hour.total.events, { enqueued: 5, started: 1, succeeded: 1 });
        assertEquals(hour.byTask.map((row) => [row.task, row.events]), [
          ["tick", { enqueued: 3, succeeded: 1 }],
          ["sum", { enqueued: 2, started: 1 }],
        ]);
        assertEquals(hour.byTask[0]!.runTimes, {
          count: 1,
          meanMs: 1,
          p50Ms: 1,
          p95Ms: 1,
          minMs: 1,
          maxMs: 1,
        });
      } finally {
        await feed.close();
      }
    });
    await t.step(
      "a feed that does not wait says when it has read what the stream held",
      async () => {
        const live = await admin.feed({ wait: false });
        try {
          await until(() => !live.reading, "the feed to read the stream");
          assertEquals(live.tally().total.events, { enqueued: 5, started: 1, succeeded: 1 });
          assertEquals(live.tasks().length, 5);
        } finally {
          await live.close();
        }
      },
    );
    await t.step("a feed that let tasks go counts those it keeps, and says so", async () => {
      const small = await admin.feed({ max: 2 });
      try {
        const counts = small.counts(15 * 60_000);
        assertEquals([counts.tasks, counts.complete], [2, false]);
        assertEquals(small.tasks().length, 2);
        // The tally counts every event all the same.
        assertEquals(small.tally().total.events, { enqueued: 5, started: 1, succeeded: 1 });
      } finally {
        await small.close();
      }
    });
  } finally {
    await admin.close();
  }
});
