/**
 * A settlement the broker refuses ends without a reconnect: with `Q.dead` deleted under a
 * running worker, a bad message's dead letter comes back unroutable; the worker puts it back a
 * bounded number of times, then rejects it and says so, and keeps running the other tasks.
 */
import { assert, assertEquals } from "@std/assert";
import { Buffer } from "node:buffer";
import { z } from "zod";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { createLogger } from "../../src/util/logger.ts";
import type { TaskEvent } from "../../src/worker/events.ts";
import { MAX_SETTLE_FAILURES } from "../../src/worker/outcome_writer.ts";
import { Worker } from "../../src/worker/worker.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { queueDepth, until } from "../_helpers/probe.ts";

const add = defineTask({ name: "add", schema: z.object({ n: z.int() }), result: z.int() });
const catalog = defineCatalog(add);
const handlers = defineHandlers(catalog, { add: ({ n }) => n + 1 });

Deno.test("a dead letter refused as unroutable ends in a bounded number of tries, no reconnect", async () => {
  const queue = uniqueQueue("warren_refused");
  await using client = await rawClient();
  client.track(queue);
  const lines: string[] = [];
  const events: TaskEvent[] = [];
  const worker = await Worker.start(handlers, {
    url: TEST_URL,
    queue,
    cancels: false,
    onEvent: (event) => events.push(event),
    logger: createLogger({ write: (line) => lines.push(line), level: "warn" }),
  });
  await client.channel.deleteQueue(`${queue}.dead`);

  client.channel.sendToQueue(queue, Buffer.from("not json"), { messageId: "bad-1" });
  for (let i = 0; i < 5; i++) {
    client.channel.sendToQueue(queue, Buffer.from(JSON.stringify({ task: "add", n: i })));
  }
  await until(
    () => lines.some((line) => line.includes("task.discarded")),
    "the bad message rejected",
  );
  await until(
    () => events.filter((e) => e.event === "task.done").length === 5,
    "the good tasks to run",
  );
  const refused = lines.filter((line) => line.includes("task.unsettled") && line.includes("bad-1"));
  assertEquals(refused.length, MAX_SETTLE_FAILURES + 1); // each put back, then the minimal try
  assert(
    lines.some((line) => line.includes("task.discarded") && line.includes("reached no queue")),
  );
  assertEquals(worker.reconnects, 0);
  assertEquals(lines.filter((line) => /connection\.(restart|lost)/.test(line)), []);
  assertEquals(await queueDepth(client, queue), 0); // a classic queue drops what is rejected
  await worker.close();
});
