/**
 * A plain amqplib producer for the benchmark, written the straightforward way: a confirm channel,
 * at most `window` publishes awaiting their confirm (each publish with a callback), a wait for
 * `drain` when `publish()` returns false, persistent messages. Prints a {@linkcode ProducerReport}
 * as JSON on stdout.
 *
 * With `props`, each message carries the properties and flags Warren's wire format gives it (as
 * `encodeTask` in `src/wire/task_codec.ts` builds them, per message): the same messages as
 * Warren's, published the plain way: the benchmark's `plain-props` variant. With
 * `props=<names>`, only the properties named (comma-separated, of {@linkcode PROPERTY_NAMES}),
 * for measuring what each one costs (`deno task bench --properties`).
 *
 * Usage: plain_producer.ts <queue> <classic|quorum> <n> <window> [props|props=<names>]
 *
 * @module
 */
import amqp from "amqplib";
import { Buffer } from "node:buffer";
import { BENCH_URL } from "./broker.ts";
import type { ProducerReport } from "./protocol.ts";
import {
  PROPERTY_NAMES,
  type PropertyName,
  publishOptions,
  WARREN_PROPERTIES,
} from "./properties.ts";
import { cpuMs, endOf, epochMs, type SumBody } from "./workload.ts";

const [queue, type, nText, windowText, mode] = Deno.args;
const n = Number(nText);
const window = Number(windowText);
const chosen = mode === undefined
  ? []
  : mode === "props"
  ? WARREN_PROPERTIES
  : mode.startsWith("props=")
  ? mode.slice("props=".length).split(",").filter((name) => name !== "")
  : ["?"];
if (
  !queue || (type !== "classic" && type !== "quorum") || !(n >= 1) || !(window >= 1) ||
  chosen.some((name) => !(PROPERTY_NAMES as readonly string[]).includes(name))
) {
  console.error(
    `usage: plain_producer.ts <queue> <classic|quorum> <n> <window> [props|props=${
      PROPERTY_NAMES.join(",")
    }]`,
  );
  Deno.exit(2);
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
  const options = publishOptions(chosen as PropertyName[], body.task);
  const ok = channel.publish("", queue, Buffer.from(JSON.stringify(body)), options, onConfirm);
  if (!ok) await new Promise<void>((resolve) => channel.once("drain", resolve));
}
await allConfirmed.promise;
const cpuUsed = cpuMs() - cpuAtStart;
await channel.close();
await connection.close();

const report: ProducerReport = { confirmed, failed, firstPublish, lastConfirm, cpuMs: cpuUsed };
console.log(JSON.stringify(report));
