/**
 * `deno task bench`: Warren against plain amqplib on the local RabbitMQ, side by side in one run
 * (see `--help`). Prints a table on stdout, progress on stderr, and writes the figures as JSON
 * (default `bench/results/latest.json`).
 *
 * @module
 */
import { dirname } from "node:path";
import { BrokerAdmin } from "./broker.ts";
import { runCpu } from "./cpu.ts";
import { dashboardTable, runDashboardLoad } from "./dashboard_load.ts";
import { delayedTable, runDelayed } from "./delayed.ts";
import { historyTable, lookupCancelTable, runCancels, runLookup } from "./history.ts";
import { runMatrix, summarise } from "./matrix.ts";
import { runMemory } from "./memory.ts";
import { type BenchOptions, HELP, parseBenchArgs } from "./options.ts";
import { propertyTable, runPropertyCosts } from "./property_costs.ts";
import {
  type BenchDocument,
  cpuTable,
  describeMachine,
  matrixDocument,
  matrixTable,
  memoryTable,
} from "./report.ts";

const log = (line: string) => console.error(line);

async function bench(options: BenchOptions): Promise<void> {
  await using admin = await BrokerAdmin.connect();
  const machine = describeMachine(admin.version);
  const { help: _help, jsonOut: _out, ...settings } = options;
  const document: { -readonly [K in keyof BenchDocument]: BenchDocument[K] } = {
    generatedAt: new Date().toISOString(),
    machine,
    options: settings,
  };
  console.log(
    `machine: ${machine.nproc} CPUs (${machine.cpu}), RabbitMQ ${machine.rabbitmq}, Deno ${machine.deno} (V8 ${machine.v8})`,
  );
  if (options.matrix) {
    const runs = await runMatrix(admin, options, log);
    const summaries = summarise(options.rows, runs);
    document.matrix = matrixDocument(runs, summaries);
    console.log(
      `\nWarren vs plain amqplib: ${options.n} tasks per run, ${options.consumers} consumer processes, window ${options.window}, medians of ${options.rounds} round(s)`,
    );
    console.log(
      [
        "plain props = plain amqplib publishing Warren's messages (its properties, mandatory)",
        'vs plain = Warren / plain, "!" = Warren more than 10% worse',
        "vs props = Warren / plain props: the same messages, so Warren's client-side overhead alone",
      ].join("\n"),
    );
    console.log(matrixTable(summaries));
    if (options.variants.includes("warren") && options.variants.includes("warren-history")) {
      console.log(`\nThe history's cost: Warren with history off and on, in the same runs`);
      console.log(historyTable(summaries, options.variants));
    }
  }
  if (options.memory) {
    document.memory = await runMemory(admin, log);
    console.log(`\nMemory\n${memoryTable(document.memory)}`);
  }
  if (options.properties) {
    document.properties = await runPropertyCosts(admin, options, log);
    console.log(`\nWhat each message property costs\n${propertyTable(document.properties)}`);
  }
  if (options.delayed) {
    document.delayed = await runDelayed(admin, options.n, options.rounds, log);
    console.log(`\nDelayed tasks\n${delayedTable(document.delayed)}`);
  }
  if (options.dashboard) {
    const load = await runDashboardLoad(admin, log);
    if (load) {
      document.dashboard = load;
      console.log(`\nThe dashboard under load\n${dashboardTable(load)}`);
    }
  }
  if (options.history) {
    const runs = await runMatrix(admin, options, log);
    const summary = summarise(options.rows, runs);
    const lookup = await runLookup(admin, log);
    const cancel = await runCancels(admin, log);
    document.history = { runs, summary, lookup, cancel };
    console.log(
      `\nThe history's cost: Warren with history off and on, ${options.n} tasks per run, ${options.consumers} consumer processes, medians of ${options.rounds} round(s)`,
    );
    console.log(historyTable(summary, options.variants));
    console.log(`\nLookup and cancel\n${lookupCancelTable(lookup, cancel)}`);
  }
  if (options.cpu) {
    document.cpu = await runCpu(admin, options.rounds, options.quietMs, log);
    console.log(`\nCPU-bound scaling\n${cpuTable(document.cpu)}`);
  }
  await Deno.mkdir(dirname(options.jsonOut), { recursive: true });
  await Deno.writeTextFile(options.jsonOut, JSON.stringify(document, null, 2) + "\n");
  console.log(`\nJSON: ${options.jsonOut}`);
}

if (import.meta.main) {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(Deno.args);
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    Deno.exit(2);
  }
  if (options.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  await bench(options);
}
