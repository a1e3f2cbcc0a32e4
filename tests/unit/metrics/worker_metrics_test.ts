import { assert, assertStringIncludes } from "@std/assert";
import { WorkerMetrics } from "../../../src/metrics/worker_metrics.ts";

Deno.test("render() gives each rate limit the worker refills: tasks waiting and tokens, by task", () => {
  const text = new WorkerMetrics().render({
    inFlight: 0,
    consuming: true,
    reconnects: 0,
    limits: [{ task: "call", tokens: 3, waiting: 180 }],
  });
  assertStringIncludes(text, "# TYPE warren_ratelimit_waiting gauge");
  assertStringIncludes(text, 'warren_ratelimit_waiting{task="call"} 180\n');
  assertStringIncludes(text, 'warren_ratelimit_tokens{task="call"} 3\n');
});

Deno.test("render() gives no limit's series for a worker that refills none", () => {
  const text = new WorkerMetrics().render({ inFlight: 0, consuming: true, reconnects: 0 });
  assertStringIncludes(text, "# TYPE warren_ratelimit_tokens gauge");
  assert(!/^warren_ratelimit_(waiting|tokens)\{/m.test(text), text);
});
