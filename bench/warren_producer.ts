/**
 * A Warren producer for the benchmark: `Producer.publishAll` (window 1000 by default) fed by a
 * generator of `prepareTask()` messages, so each task is validated, confirmed, persistent and
 * mandatory. Prints a {@linkcode ProducerReport} as JSON on stdout.
 *
 * Usage: warren_producer.ts <queue> <classic|quorum> <n> <window> [history]
 *
 * @module
 */
import type { EncodedTask } from "../src/wire/task_codec.ts";
import { PublishError } from "../src/errors/publish_error.ts";
import { prepareTask } from "../src/task/prepare.ts";
import { Producer } from "../src/producer/producer.ts";
import { type Receipt } from "../src/producer/publish_window.ts";
import { BENCH_URL } from "./broker.ts";
import { benchCatalog } from "./catalog.ts";
import type { ProducerReport } from "./protocol.ts";
import { cpuMs, endOf, epochMs } from "./workload.ts";

const [queue, type, nText, windowText, history] = Deno.args;
const n = Number(nText);
const window = Number(windowText);
if (!queue || (type !== "classic" && type !== "quorum") || !(n >= 1) || !(window >= 1)) {
  console.error("usage: warren_producer.ts <queue> <classic|quorum> <n> <window>");
  Deno.exit(2);
}

const catalog = benchCatalog;
const producer = await Producer.connect(catalog, {
  url: BENCH_URL,
  queue,
  queueType: type,
  window,
  history: history === "history",
});

let firstPublish = 0;
let cpuAtStart = 0;
let lastConfirm = 0;
function* tasks(): Iterable<EncodedTask> {
  cpuAtStart = cpuMs();
  firstPublish = epochMs();
  for (let i = 0; i < n; i++) {
    yield prepareTask(catalog, "sum", { start: 1, end: endOf(i), sentAt: epochMs() });
  }
}

const summary = await producer.publishAll(tasks(), (outcome: Receipt | PublishError) => {
  lastConfirm = epochMs();
  if (outcome instanceof PublishError) console.error(`error: ${outcome.message}`);
});
const cpuUsed = cpuMs() - cpuAtStart;
await producer.close();

const report: ProducerReport = {
  confirmed: summary.confirmed,
  failed: summary.failed.length,
  firstPublish,
  lastConfirm,
  cpuMs: cpuUsed,
};
console.log(JSON.stringify(report));
