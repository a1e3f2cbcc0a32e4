/**
 * A plain amqplib consumer for the benchmark, written the straightforward way: prefetch P,
 * `JSON.parse` the body, compute the sum with BigInt in closed form, ack. Progress and the final
 * report go to stderr; SIGTERM closes the channel and connection, then writes the report.
 *
 * With `history` (the `plain-history` variant) it keeps Warren's history protocol and nothing
 * else of Warren: before each ack it publishes a `succeeded` event to the stream `<queue>.events`
 * (declared beforehand by the bench) on a confirm channel, one message a task, and acks once the
 * broker confirmed it. That is the least any client pays for "no acknowledged task lacks its
 * outcome event". With `early-ack` (the `plain-history-early` variant) it publishes the same
 * event but acks at once, without waiting for the confirm: what the history would cost without
 * that guarantee. An event the broker refuses ends the process either way.
 *
 * Usage: plain_consumer.ts [--gated] <queue> <classic|quorum> <prefetch> [history|early-ack]
 *
 * @module
 */
import { Buffer } from "node:buffer";
import amqp from "amqplib";
import { BENCH_URL } from "./broker.ts";
import { passGate } from "./gate.ts";
import { Recorder } from "./recorder.ts";
import type { SumBody } from "./workload.ts";

const [queue, type, prefetchText, mode] = await passGate(Deno.args);
const prefetch = Number(prefetchText);
if (
  !queue || (type !== "classic" && type !== "quorum") || !(prefetch >= 1) ||
  (mode !== undefined && mode !== "history" && mode !== "early-ack")
) {
  console.error(
    "usage: plain_consumer.ts [--gated] <queue> <classic|quorum> <prefetch> [history|early-ack]",
  );
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
const events = mode === undefined ? undefined : await connection.createConfirmChannel();
const ackFirst = mode === "early-ack";
const eventsQueue = `${queue}.events`;
// Declared by the bench beforehand, as a Warren worker declares it.
await events?.checkQueue(eventsQueue);
const worker = `plain-${Deno.pid}`;
recorder.startReporting();
const { consumerTag } = await channel.consume(queue, (message) => {
  if (!message) return;
  // Timed only when an event says how long the task took: plain's own path stays as it was.
  const began = events ? performance.now() : 0;
  const body = JSON.parse(message.content.toString()) as SumBody;
  recorder.started(body.sentAt);
  const a = BigInt(body.start);
  const b = BigInt(body.end);
  const result = ((a + b) * (b - a + 1n)) / 2n;
  if (!events) {
    recorder.handled(result);
    channel.ack(message);
    return;
  }
  const id = String(message.properties.messageId ?? message.fields.deliveryTag);
  const event = JSON.stringify({
    v: 1,
    event: "succeeded",
    id,
    task: "sum",
    at: new Date().toISOString(),
    worker,
    attempt: 1,
    ms: performance.now() - began,
    result: String(result),
  });
  events.publish("", eventsQueue, Buffer.from(event), {
    persistent: true,
    correlationId: id,
    type: "warren.event",
    contentType: "application/json",
  }, (err) => {
    if (err) {
      console.error(`plain_consumer: event of ${id} not confirmed: ${err}`);
      Deno.exit(1);
    }
    if (ackFirst) return;
    recorder.handled(result);
    channel.ack(message);
  });
  if (ackFirst) {
    recorder.handled(result);
    channel.ack(message);
  }
});

Deno.addSignalListener("SIGTERM", async () => {
  await channel.cancel(consumerTag);
  await channel.close();
  await events?.close();
  await connection.close();
  recorder.finish();
  Deno.exit(0);
});
