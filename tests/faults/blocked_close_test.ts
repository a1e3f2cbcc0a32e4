/**
 * Closes that the broker never answers. A producer's close still ends (its unconfirmed tasks
 * fail, the socket is dropped) instead of waiting forever: when the network between them drops
 * every byte (a firewall that blackholes the connection), and when a memory alarm blocks the
 * connection.
 */
import { assert, assertInstanceOf } from "@std/assert";
import { z } from "zod";
import { PublishError } from "../../src/errors/publish_error.ts";
import { Producer } from "../../src/producer/producer.ts";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { finishesWithin } from "../../src/util/deadline.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { rabbitmqInstalled, startRabbitNode } from "../_helpers/rabbit_node.ts";

const catalog = defineCatalog(defineTask({ name: "job", schema: z.object({ n: z.int() }) }));

/**
 * A TCP relay on 127.0.0.1 to `target`; `blackhole()` makes it drop every byte both ways from
 * then on, keeping the sockets open (nothing tells either side).
 */
function relay(target: { hostname: string; port: number }) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sockets = new Set<Deno.Conn>();
  let dropping = false;
  const pump = async (from: Deno.Conn, to: Deno.Conn) => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buffer);
        if (n === null) break;
        if (!dropping) await to.write(buffer.subarray(0, n));
      }
    } catch {
      // A socket closed under the pump: the relay is closing.
    }
  };
  const pumps: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect(target);
      sockets.add(client).add(server);
      pumps.push(pump(client, server), pump(server, client));
    }
  })().catch(() => {});
  const { port } = listener.addr as Deno.NetAddr;
  return {
    port,
    blackhole() {
      dropping = true;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const socket of sockets) {
        try {
          socket.close();
        } catch {
          // already closed
        }
      }
      await Promise.all([accepting, ...pumps]);
    },
  };
}

/** Enqueues one task that cannot be confirmed, closes with 1 s for confirms: the close ends. */
async function closesUnanswered(producer: Producer<typeof catalog>): Promise<void> {
  const sent = producer.enqueue("job", { n: 1 }).then(() => undefined, (err) => err);
  assert(
    await finishesWithin(producer.close(1_000), 30_000),
    "the producer's close still waited 30 s after its 1 s for confirms",
  );
  assertInstanceOf(await sent, PublishError, "the unconfirmed task failed");
}

Deno.test("a producer's close ends when the network drops every byte to the broker", async () => {
  const broker = new URL(TEST_URL);
  await using proxy = relay({ hostname: broker.hostname, port: Number(broker.port || 5672) });
  const url = new URL(TEST_URL);
  url.port = String(proxy.port);
  // A heartbeat far off: the close alone must end, not the heartbeat's timeout.
  url.searchParams.set("heartbeat", "600");
  const queue = uniqueQueue("warren_blackhole");
  await using client = await rawClient();
  client.track(queue);
  const producer = await Producer.connect(catalog, { url: url.href, queue, history: false });
  proxy.blackhole();
  await closesUnanswered(producer);
});

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("blocked_close_test: rabbitmq-server is not installed; skipping the alarm case");
}

Deno.test({
  name: "a producer's close ends while a memory alarm blocks its connection",
  ignore: !installed,
  fn: async () => {
    await using node = await startRabbitNode({ prefix: "warren-blocked" });
    const producer = await Producer.connect(catalog, {
      url: node.url,
      queue: uniqueQueue("warren_blocked"),
      history: false,
    });
    await node.ctl("set_vm_memory_high_watermark", "0");
    try {
      await closesUnanswered(producer);
    } finally {
      await node.ctl("set_vm_memory_high_watermark", "0.4");
    }
  },
});
