/**
 * Enqueues `n` tasks from a generator through `Producer.publishAll` and prints, as JSON on
 * stdout, how many were confirmed, how long that took, and the process's peak RSS (`VmHWM`) at
 * the end. With `delay-ms`, every task is delayed by that much (it waits in the delay levels).
 * Deno lets a program read `/proc/self/status` only with `--allow-all`, so it runs with that.
 *
 * Usage: memory_producer.ts <queue> <n> [delay-ms]
 *
 * @module
 */
import type { EncodedTask } from "../src/wire/task_codec.ts";
import { prepareTask } from "../src/task/prepare.ts";
import { Producer } from "../src/producer/producer.ts";
import { catalog } from "../tasks/mod.ts";
import { readStatus } from "./proc.ts";

const [queue, nText, delayText = "0"] = Deno.args;
const n = Number(nText);
const delay = Number(delayText);
if (!queue || !(n >= 1) || !(delay >= 0)) {
  console.error("usage: memory_producer.ts <queue> <n> [delay-ms]");
  Deno.exit(2);
}

function* tasks(): Iterable<EncodedTask> {
  const options = delay > 0 ? { delay } : {};
  for (let i = 0; i < n; i++) {
    yield prepareTask(catalog, "sum", { start: 1, end: i + 1 }, options);
  }
}

const started = performance.now();
const producer = await Producer.connect(catalog, { queue });
const summary = await producer.publishAll(tasks());
await producer.close();
console.log(JSON.stringify({
  confirmed: summary.confirmed,
  failed: summary.failed.length,
  seconds: (performance.now() - started) / 1000,
  peakBytes: readStatus("self", "VmHWM"),
}));
