/**
 * `deno task chaos`: Warren's chaos suite at length, for people (the CI version is
 * tests/faults/chaos_test.ts, on the same code). Starts a private RabbitMQ node of its own,
 * runs the plan with worker kills and broker restarts, shows its progress, prints the ledger,
 * cleans up, and exits 0 when the run passed, 1 when it found a failure, 2 on bad usage.
 *
 * @module
 */
import { onStopSignals } from "../src/cli/shared/signals.ts";
import { UsageError } from "../src/cli/shared/exit.ts";
import { recommendedBroker, runChaos } from "../tests/_helpers/chaos/run.ts";
import { formatLedger } from "../tests/_helpers/chaos/report.ts";
import { rabbitmqInstalled } from "../tests/_helpers/rabbit_node.ts";
import { HELP, parseOptions, PROGRAM } from "./chaos/options.ts";
import { ProgressLine } from "./chaos/progress.ts";

/** Runs the script with `args`; returns its exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    // deno-lint-ignore no-console
    console.error(`${PROGRAM}: ${err.message}`);
    return 2;
  }
  if (parsed.help) {
    // deno-lint-ignore no-console
    console.log(HELP);
    return 0;
  }
  if (!(await rabbitmqInstalled())) {
    // deno-lint-ignore no-console
    console.error(`${PROGRAM}: rabbitmq-server is not installed: the run needs a private node`);
    return 1;
  }
  const { options } = parsed;
  const progress = new ProgressLine();
  progress.note(
    `chaos: ${options.tasks} tasks per queue on ${options.queueTypes.join(" and ")}, ` +
      `${options.workers} workers each, restarts ${options.restarts.join(",") || "none"}, ` +
      `${options.workerKills} kills per queue, seed ${options.seed}, broker settings: ` +
      (parsed.brokerDefaults ? "RabbitMQ's defaults" : "compose/advanced.config"),
  );
  // Ctrl-C aborts the run, whose clean-up stops the workers and the node before the exit.
  const abort = new AbortController();
  const stopSignals = onStopSignals(() => {
    progress.note("interrupted: stopping the workers and the private node");
    abort.abort(new Error("interrupted"));
  });
  try {
    const result = await runChaos({
      ...options,
      node: parsed.brokerDefaults ? {} : await recommendedBroker(),
      onProgress: (p) => progress.update(p),
      onNote: (line) => progress.note(line),
      signal: abort.signal,
    });
    progress.stop();
    // deno-lint-ignore no-console
    console.log(formatLedger(result.verdict, { ...result, maxFindings: 20 }));
    // deno-lint-ignore no-console
    console.log(`(${PROGRAM} --seed ${options.seed} repeats this plan)`);
    return result.verdict.findings.length === 0 ? 0 : 1;
  } catch (err) {
    progress.stop();
    if (!abort.signal.aborted) throw err;
    // deno-lint-ignore no-console
    console.error(`${PROGRAM}: interrupted; the private node is gone`);
    return 130;
  } finally {
    stopSignals();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
