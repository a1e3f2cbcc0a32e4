/**
 * A plain amqplib producer for the benchmark, written the straightforward way: a confirm channel,
 * at most `window` publishes awaiting their confirm (each publish with a callback), a wait for
 * `drain` when `publish()` returns false, persistent messages. Prints a {@linkcode ProducerReport}
 * as JSON on stdout.
 *
 * With `props`, each message carries the properties and flags Warren's wire format gives it (as
 * `encodeTask` in `src/codec.ts` builds them, per message): content type, message id, type,
 * timestamp, app id, and the publish flag `mandatory`. The same messages as Warren's, published
 * the plain way: the benchmark's `plain-props` variant.
 *
 * Usage: plain_producer.ts <queue> <classic|quorum> <n> <window> [props]
 *
 * @module
 */
import amqp, { type Options } from "amqplib";
import { Buffer } from "node:buffer";
import { BENCH_URL } from "./broker.ts";
import type { ProducerReport } from "./protocol.ts";
import { cpuMs, endOf, epochMs, type SumBody } from "./workload.ts";

const [queue, type, nText, windowText, mode] = Deno.args;
const n = Number(nText);
const window = Number(windowText);
if (
  !queue || (type !== "classic" && type !== "quorum") || !(n >= 1) || !(window >= 1) ||
  (mode !== undefined && mode !== "props")
) {
  console.error("usage: plain_producer.ts <queue> <classic|quorum> <n> <window> [props]");
  Deno.exit(2);
}
const warrenProps = mode === "props";

/** The options Warren publishes a task with (`encodeTask` in `src/codec.ts`), built anew. */
function warrenOptions(task: string): Options.Publish {
  return {
    persistent: true,
    contentType: "application/json",
    messageId: crypto.randomUUID(),
    type: task,
    timestamp: Math.floor(Date.now() / 1000),
    appId: "warren",
    mandatory: true,
  };
}

const connection = await amqp.connect(BENCH_URL);
const channel = await connection.createConfirmChannel();
await channel.assertQueue(queue, {
  durable: true,
  arguments: type === "quorum" ? { "x-queue-type": "quorum" } : {},
});

let outstanding = 0;
let confirmed = 0;
let failed = 0;
let lastConfirm = 0;
let room: PromiseWithResolvers<void> | undefined;
const allConfirmed = Promise.withResolvers<void>();

function onConfirm(err: unknown): void {
  if (err) failed++;
  else confirmed++;
  lastConfirm = epochMs();
  outstanding--;
  room?.resolve();
  room = undefined;
  if (confirmed + failed === n) allConfirmed.resolve();
}

const cpuAtStart = cpuMs();
const firstPublish = epochMs();
for (let i = 0; i < n; i++) {
  while (outstanding >= window) {
    room ??= Promise.withResolvers<void>();
    await room.promise;
  }
  const body: SumBody = { task: "sum", start: 1, end: endOf(i), sentAt: epochMs() };
  outstanding++;
  const options = warrenProps ? warrenOptions(body.task) : { persistent: true };
  const ok = channel.publish("", queue, Buffer.from(JSON.stringify(body)), options, onConfirm);
  if (!ok) await new Promise<void>((resolve) => channel.once("drain", resolve));
}
await allConfirmed.promise;
const cpuUsed = cpuMs() - cpuAtStart;
await channel.close();
await connection.close();

const report: ProducerReport = { confirmed, failed, firstPublish, lastConfirm, cpuMs: cpuUsed };
console.log(JSON.stringify(report));
