/**
 * A plain amqplib consumer for the benchmark, written the straightforward way: prefetch P,
 * `JSON.parse` the body, compute the sum with BigInt in closed form, ack. Progress and the final
 * report go to stderr; SIGTERM closes the channel and connection, then writes the report.
 *
 * Usage: plain_consumer.ts [--gated] <queue> <classic|quorum> <prefetch>
 *
 * @module
 */
import amqp from "amqplib";
import { BENCH_URL } from "./broker.ts";
import { passGate } from "./gate.ts";
import { Recorder } from "./recorder.ts";
import type { SumBody } from "./workload.ts";

const [queue, type, prefetchText] = await passGate(Deno.args);
const prefetch = Number(prefetchText);
if (!queue || (type !== "classic" && type !== "quorum") || !(prefetch >= 1)) {
  console.error("usage: plain_consumer.ts [--gated] <queue> <classic|quorum> <prefetch>");
  Deno.exit(2);
}

const recorder = new Recorder();
const connection = await amqp.connect(BENCH_URL);
const channel = await connection.createChannel();
await channel.assertQueue(queue, {
  durable: true,
  arguments: type === "quorum" ? { "x-queue-type": "quorum" } : {},
});
await channel.prefetch(prefetch);
recorder.startReporting();
const { consumerTag } = await channel.consume(queue, (message) => {
  if (!message) return;
  const body = JSON.parse(message.content.toString()) as SumBody;
  recorder.started(body.sentAt);
  const a = BigInt(body.start);
  const b = BigInt(body.end);
  recorder.handled(((a + b) * (b - a + 1n)) / 2n);
  channel.ack(message);
});

Deno.addSignalListener("SIGTERM", async () => {
  await channel.cancel(consumerTag);
  await channel.close();
  await connection.close();
  recorder.finish();
  Deno.exit(0);
});
