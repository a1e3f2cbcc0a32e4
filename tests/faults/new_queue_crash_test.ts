/**
 * Quorum queues that Warren has just created, across a broker crash (`kill -9`) at once: a quorum
 * work queue, and the delay levels a producer creates for its first delayed tasks. RabbitMQ
 * writes the registry of its quorum queues to disk on a timer; a queue killed before that comes
 * back empty (4.x) or without a leader (3.10), with what was confirmed into it. Warren holds a
 * queue it creates until that write is done (`NEW_QUORUM_QUEUE_HOLD_MS`): every task confirmed
 * before the kill is there after it.
 */
import { assertEquals } from "@std/assert";
import { z } from "zod";
import { delayRoute } from "../../src/broker/delays.ts";
import { queueNames } from "../../src/broker/topology.ts";
import { Producer } from "../../src/producer/producer.ts";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { rabbitmqInstalled, startRabbitNode } from "../_helpers/rabbit_node.ts";

const TASKS = 50;
/** A delay long enough that every delayed task still waits in a level when the broker is back. */
const DELAY_MS = 60_000;

const catalog = defineCatalog(defineTask({ name: "job", schema: z.object({ n: z.int() }) }));

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("new_queue_crash_test: rabbitmq-server is not installed; skipping");
}

Deno.test({
  name:
    "tasks confirmed into quorum queues Warren has just created survive a kill -9 of the broker right after the confirm (work queue and delay level)",
  ignore: !installed,
  fn: async () => {
    await using node = await startRabbitNode({ prefix: "warren-newq" });
    const queue = uniqueQueue("warren_newq");
    const names = queueNames(queue);
    const producer = await Producer.connect(catalog, {
      url: node.url,
      queue,
      queueType: "quorum",
      history: false,
    });
    try {
      const sent: Promise<unknown>[] = [];
      for (let n = 0; n < TASKS; n++) {
        sent.push(producer.enqueue("job", { n }));
        sent.push(producer.enqueue("job", { n }, { delay: DELAY_MS }));
      }
      await Promise.all(sent);
      await node.kill();
    } finally {
      await producer.close();
    }
    await node.start();
    await using client = await rawClient(node.url);
    client.track(queue);
    const work = await client.channel.checkQueue(queue);
    // Each delayed task waits in the levels of the bits of what was left of its delay when it
    // was sent (after the levels' creation): summed over every level its delay may use.
    let waiting = 0;
    for (let k = 0; k <= delayRoute(names, DELAY_MS).level; k++) {
      waiting += (await client.channel.checkQueue(names.wait(k))).messageCount;
    }
    assertEquals(
      { work: work.messageCount, waiting },
      { work: TASKS, waiting: TASKS },
      "every confirmed task is in its queue after the crash",
    );
  },
});
