/**
 * Enqueues `n` tasks from a generator through `Producer.publishAll` and prints, as JSON on
 * stdout, how many were confirmed and the process's peak RSS (`VmHWM`) at the end. Deno lets a
 * program read `/proc/self/status` only with `--allow-all`, so it runs with that.
 *
 * Usage: memory_producer.ts <queue> <n>
 *
 * @module
 */
import type { EncodedTask } from "../src/wire/task_codec.ts";
import { prepareTask } from "../src/task/prepare.ts";
import { Producer } from "../src/producer/producer.ts";
import { catalog } from "../tasks/mod.ts";
import { readStatus } from "./proc.ts";

const [queue, nText] = Deno.args;
const n = Number(nText);
if (!queue || !(n >= 1)) {
  console.error("usage: memory_producer.ts <queue> <n>");
  Deno.exit(2);
}

function* tasks(): Iterable<EncodedTask> {
  for (let i = 0; i < n; i++) yield prepareTask(catalog, "sum", { start: 1, end: i + 1 });
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
