/**
 * A Warren consumer for the benchmark: the real worker CLI code path (`workerMain`) with the
 * benchmark handlers. Its arguments go to `workerMain` unchanged (`--queue`, `--queue-type`,
 * `--prefetch`, `--log-level` …), after a leading `--gated` (see `gate.ts`); the worker logs as it
 * always does, on stdout. Progress and the final report go to stderr; SIGTERM stops the worker as
 * it stops the CLI, then the report is written.
 *
 * @module
 */
import { workerMain } from "../src/cli/worker/main.ts";
import { createBenchHandlers } from "./catalog.ts";
import { passGate } from "./gate.ts";
import { Recorder } from "./recorder.ts";

const recorder = new Recorder();
recorder.startReporting();
const code = await workerMain(createBenchHandlers(recorder), await passGate(Deno.args));
recorder.finish();
Deno.exit(code);
