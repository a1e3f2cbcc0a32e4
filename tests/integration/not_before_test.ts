/**
 * "Never early" rests on the worker's own clock: a task that reaches its work queue before its
 * not-before (as when the broker's clock runs fast and a delay level lets it go early) is sent
 * back to the delay levels for the rest of the time, then runs once, no sooner; a not-before
 * that is no time is ignored.
 */
import { Buffer } from "node:buffer";
import { assert, assertEquals, assertGreaterOrEqual } from "@std/assert";
import { z } from "zod";
import { queueNames, type QueueType } from "../../src/broker/topology.ts";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { defineHandlers } from "../../src/task/handlers.ts";
import { silentLogger } from "../../src/util/logger.ts";
import { HEADERS } from "../../src/wire/headers.ts";
import { MAX_DELAY_MS } from "../../src/wire/delays.ts";
import { Worker } from "../../src/worker/worker.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { queueDepth, until } from "../_helpers/probe.ts";

const catalog = defineCatalog(defineTask({ name: "mark", schema: z.object({}) }));

for (const queueType of ["classic", "quorum"] as const satisfies readonly QueueType[]) {
  Deno.test(`a task that comes before its not-before waits, then runs once, no sooner (${queueType})`, async () => {
    const queue = uniqueQueue(`warren_not_before_${queueType}`);
    await using client = await rawClient();
    client.track(queue);
    const starts = new Map<string, number[]>();
    const handlers = defineHandlers(catalog, {
      mark: (_payload, { id }) => {
        starts.set(id, [...(starts.get(id) ?? []), Date.now()]);
        return null;
      },
    });
    const worker = await Worker.start(handlers, {
      url: TEST_URL,
      queue,
      queueType,
      prefetch: 10,
      logger: silentLogger,
    });
    const early: { id: string; early: number }[] = [];
    worker.on("task.early", (event) => early.push({ id: event.id, early: event.early }));
    try {
      const publish = (id: string, headers: Record<string, unknown>) =>
        client.channel.sendToQueue(queue, Buffer.from('{"task":"mark"}'), {
          persistent: true,
          messageId: id,
          headers,
        });
      // Straight to the work queue, as if a delay level's clock had run 2 s fast.
      const notBefore = Date.now() + 2_000;
      publish("due-later", { [HEADERS.notBefore]: notBefore });
      // A plain task, and two whose not-before is no time or further than any delay: at once.
      publish("plain", {});
      publish("nonsense", { [HEADERS.notBefore]: "soon" });
      publish("too-far", { [HEADERS.notBefore]: Date.now() + MAX_DELAY_MS + 60_000 });
      await until(() => starts.size === 4, "all four tasks to start", 15_000);
      const first = starts.get("due-later")![0]!;
      assertGreaterOrEqual(first, notBefore, `started ${notBefore - first} ms early`);
      for (const id of ["plain", "nonsense", "too-far"]) {
        assert(starts.get(id)![0]! < notBefore, `${id} should not wait for anything`);
      }
      assertEquals(early.length, 1, "sent back once");
      assertEquals(early[0]!.id, "due-later");
      assertGreaterOrEqual(early[0]!.early, 1_000);
      // Nothing is left anywhere to run again: the work queue, its levels, the dead letters.
      const names = queueNames(queue);
      const levels = Array.from({ length: 5 }, (_, k) => names.wait(k));
      await until(
        async () => {
          for (const name of [queue, names.dead, ...levels]) {
            if (((await queueDepth(client, name)) ?? 0) > 0) return false;
          }
          return worker.inFlight === 0;
        },
        "every queue to be empty and the worker idle",
        10_000,
      );
      assertEquals([...starts].map(([id, at]) => [id, at.length]).sort(), [
        ["due-later", 1],
        ["nonsense", 1],
        ["plain", 1],
        ["too-far", 1],
      ]);
      // deno-lint-ignore no-console
      console.log(
        `  ${queueType}: came ${early[0]!.early} ms early, started ${
          first - notBefore
        } ms after its not-before`,
      );
    } finally {
      await worker.close();
    }
  });
}
