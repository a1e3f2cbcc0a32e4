/**
 * The dashboard's Tasks feed under hostile history events: writes N `dead` events with an error
 * of E characters each and one 16 MB event straight into a fresh `Q.events` on the local
 * RabbitMQ, starts `admin.ts dashboard` on it, polls its feed 20 times (as the page does every
 * 2 s), and prints the bytes of one answer and the dashboard's resident memory (now and peak).
 *
 * ```sh
 * deno run -A bench/dashboard_feed_memory.ts [N=200] [E=900000]
 * ```
 *
 * @module
 */
import amqp from "amqplib";
import { Buffer } from "node:buffer";

const tasks = Number(Deno.args[0] ?? 200);
const errorLength = Number(Deno.args[1] ?? 900_000);
const root = new URL("../", import.meta.url);
const queue = `warren_feed_memory_${crypto.randomUUID().slice(0, 8)}`;
const stream = `${queue}.events`;

const connection = await amqp.connect("amqp://localhost:5672");
const channel = await connection.createConfirmChannel();
/** Publishes one event, confirmed. */
async function put(event: Record<string, unknown>): Promise<void> {
  const body = Buffer.from(
    JSON.stringify({ v: 1, task: "sum", at: new Date().toISOString(), ...event }),
  );
  channel.publish("", stream, body, { correlationId: String(event.id), type: "warren.event" });
  await channel.waitForConfirms();
}

try {
  await channel.assertQueue(stream, { durable: true, arguments: { "x-queue-type": "stream" } });
  await channel.assertQueue(queue, { durable: true });
  const error = "e".repeat(errorLength);
  for (let i = 0; i < tasks; i++) {
    await put({ event: "dead", id: `t${i}`, worker: "w", reason: "failed", error });
  }
  await put({
    event: "dead",
    id: "huge",
    worker: "w",
    reason: "failed",
    error: "x".repeat(16 << 20),
  });

  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const dashboard = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("admin.ts", root).pathname,
      "dashboard",
      "--queue",
      queue,
      "--port",
      String(port),
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 150; i++) {
      try {
        await (await fetch(`${url}/api/meta`)).body?.cancel();
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    // The feed answers while it reads the stream: polled until it has read it all, then 20 more.
    const poll = async () =>
      await (await fetch(`${url}/api/queues/${queue}/tasks?limit=500`)).text();
    while ((JSON.parse(await poll()) as { reading?: boolean }).reading !== false) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    let bytes = 0;
    for (let i = 0; i < 20; i++) bytes = (await poll()).length;
    const status = await Deno.readTextFile(`/proc/${dashboard.pid}/status`);
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    console.log(JSON.stringify({
      events: tasks + 1,
      errorCharacters: errorLength,
      feedBytesPerPoll: bytes,
      rssMB: Math.round(kb("VmRSS") / 1024),
      peakRssMB: Math.round(kb("VmHWM") / 1024),
    }));
  } finally {
    dashboard.kill("SIGTERM");
    await dashboard.status;
  }
} finally {
  await channel.deleteQueue(stream);
  await channel.deleteQueue(queue);
  await connection.close();
}
