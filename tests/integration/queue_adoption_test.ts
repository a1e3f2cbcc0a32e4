import { Buffer } from "node:buffer";
import type { Options } from "amqplib";
import { assert, assertEquals, assertRejects } from "@std/assert";
import { brokerFeatures } from "../../src/broker/features.ts";
import { deadQueueOptions, mainQueueOptions, queueNames } from "../../src/broker/topology.ts";
import { type RawClient, rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { runCli, WorkerProcess } from "../_helpers/cli.ts";

/** Runs one sum task through `worker` on `queue`, published by a raw client; checks the result. */
async function runsTasks(client: RawClient, worker: WorkerProcess, queue: string): Promise<void> {
  client.channel.sendToQueue(queue, Buffer.from('{"task":"sum","start":1,"end":100}'), {
    persistent: true,
    messageId: `adoption-${queue}`,
  });
  await worker.waitForEvents("task.done", 1);
  const [done] = worker.events("task.done");
  assertEquals([done?.id, done?.result], [`adoption-${queue}`, "5050"]);
}

/** Declares `queue` on a channel of its own (a failure closes only that channel). */
async function declare(client: RawClient, queue: string, options: Options.AssertQueue) {
  const channel = await client.connection.createChannel();
  channel.on("error", () => {});
  try {
    return await channel.assertQueue(queue, options);
  } finally {
    await channel.close().catch(() => {});
  }
}

const EXISTING: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ["a classic queue with x-max-length", { "x-max-length": 1_000 }],
  ["a quorum queue when it asks for a classic one", { "x-queue-type": "quorum" }],
];

for (const [what, args] of EXISTING) {
  Deno.test(`a worker adopts ${what} with a warning, and runs tasks on it`, async () => {
    const queue = uniqueQueue();
    await using client = await rawClient();
    client.track(queue);
    await declare(client, queue, { durable: true, arguments: args });

    await using worker = new WorkerProcess(["--queue", queue]);
    await worker.started();
    const adopted = worker.events("queue.adopted");
    assertEquals(adopted.map((l) => [l.level, l.queue]), [["warn", queue]]);
    const [arg] = Object.keys(args);
    assertEquals(adopted[0]?.arg, arg, "the warning names the argument that differs");
    assert(String(adopted[0]?.cost).length > 0, "the warning says what adopting costs");
    const line = JSON.stringify(adopted[0]);
    assert(line.length < 300, `a short line, not the broker's raw error: ${line}`);
    assert(!line.includes("PRECONDITION"), line);
    await runsTasks(client, worker, queue);

    // The queue is still the one that was there: a re-declare with its own arguments passes.
    await declare(client, queue, { durable: true, arguments: args });
    worker.kill("SIGTERM");
    assertEquals((await worker.exit()).code, 0);
  });
}

Deno.test("a producer adopts an existing queue with other arguments and publishes to it", async () => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  await declare(client, queue, { durable: true, arguments: { "x-max-length": 1_000 } });
  const result = await runCli("producer.ts", [
    "sum",
    "--start",
    "1",
    "--end",
    "2",
    "--queue",
    queue,
  ]);
  assertEquals(result.code, 0, result.stderr);
  assert(result.stderr.includes("queue.adopted"), result.stderr);
  assertEquals((await client.channel.checkQueue(queue)).messageCount, 1);
});

Deno.test("a worker with --queue-type quorum declares quorum queues and runs tasks on them", async () => {
  const queue = uniqueQueue();
  await using client = await rawClient();
  client.track(queue);
  await using worker = new WorkerProcess(["--queue", queue, "--queue-type", "quorum"]);
  await worker.started();
  assertEquals(worker.events("queue.adopted"), []);

  // A classic declare of a quorum queue fails: that proves the type of both queues. Declared
  // with Warren's own arguments (for this broker), each passes.
  const names = queueNames(queue);
  const { version } = client.connection.connection.serverProperties;
  const expected = [
    [queue, mainQueueOptions(names, "quorum")],
    [names.dead, deadQueueOptions("quorum", brokerFeatures(String(version)))],
  ] as const;
  for (const [name, options] of expected) {
    await assertRejects(
      () => declare(client, name, { durable: true }),
      Error,
      "PRECONDITION_FAILED",
    );
    await declare(client, name, options);
  }
  await runsTasks(client, worker, queue);
  worker.kill("SIGTERM");
  assertEquals((await worker.exit()).code, 0);
});
