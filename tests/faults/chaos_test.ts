/**
 * The chaos suite in CI: ONE pass on a private RabbitMQ node that mixes delayed tasks, retries
 * (tasks that fail once or twice, then succeed), the poison messages of each kind (a 70,000
 * character task name, a handler error over 64 KB, a cancel with a 200,000-character `by`, a
 * result nested 3,000 deep with the history on, a body that is not JSON, an unknown task),
 * SIGKILLs of worker CLIs and a broker `kill -9` and restart, on a classic and a quorum work
 * queue at once. It prints the ledger (`tests/_helpers/chaos/report.ts`) and fails on any lost,
 * stuck, early or unexplained duplicated task, on a poison message that does not end in `Q.dead`
 * with its reason, on a normal task that does not succeed, and on a worker that dies on its own.
 *
 * The longer version for people is `deno task chaos` (scripts/chaos.ts), on the same code.
 *
 * @module
 */
import { assert, assertEquals } from "@std/assert";
import { CI_PROFILE, recommendedBroker, runChaos } from "../_helpers/chaos/run.ts";
import { formatLedger } from "../_helpers/chaos/report.ts";
import { rabbitmqInstalled } from "../_helpers/rabbit_node.ts";

const installed = await rabbitmqInstalled();
if (!installed) {
  // deno-lint-ignore no-console
  console.warn("chaos_test: rabbitmq-server is not installed; skipping the chaos run");
}

Deno.test({
  name: "under worker kills, a broker kill -9 and poison messages, on classic and quorum, " +
    "no task is lost, stuck, early or duplicated without cause, and each poison ends in Q.dead",
  ignore: !installed,
  async fn() {
    const result = await runChaos({
      ...CI_PROFILE,
      // The broker as Warren's README and compose.yaml set it up (`deno task chaos
      // --broker-defaults` shows what RabbitMQ's defaults change: tasks held for minutes).
      node: await recommendedBroker(),
      // deno-lint-ignore no-console
      onNote: (line) => console.log(`  ${line}`),
    });
    const ledger = formatLedger(result.verdict, result);
    // deno-lint-ignore no-console
    console.log(ledger);
    // The run did what it claims, or its verdict would mean nothing.
    assertEquals(result.verdict.restarts.kill, CI_PROFILE.restarts.length, "the broker was killed");
    assertEquals(result.verdict.queues.length, CI_PROFILE.queueTypes.length);
    for (const queue of result.verdict.queues) {
      assert(queue.workerKills >= 1, `workers of ${queue.queue} were SIGKILLed`);
      assert(queue.confirmed >= queue.published * 0.9, `most tasks of ${queue.queue} confirmed`);
      assert((queue.late?.count ?? 0) > 0, `delayed tasks and retries of ${queue.queue} ran`);
    }
    // The ledger above says what failed, task by task.
    const { findings } = result.verdict;
    // The first findings in the message too, for a log that keeps only its end.
    const first = findings.slice(0, 3).map((f) =>
      `${f.kind}${f.id === undefined ? "" : ` ${f.id}`}: ${f.detail.slice(0, 400)}`
    );
    assert(
      findings.length === 0,
      `the chaos run found ${findings.length} failures (see its ledger): ${first.join(" | ")}`,
    );
  },
});
