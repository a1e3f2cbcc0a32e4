/// <reference lib="dom" />
/**
 * The dashboard in a real browser (Debian's Chromium, headless, through playwright-core),
 * against a PRIVATE RabbitMQ node with the management plugin and a user whose password must
 * never reach the browser. Two work queues: one that only fills up, one that a worker drains.
 * The page loads with no console error; its counts match the broker; live updates arrive;
 * replay and purge work through the buttons (after the confirmation); the schedules show the
 * active scheduler; a cross-site form cannot purge; no response holds the password. And, on the
 * shared broker, a workflow's page: reached from one of its steps, its tree of stages and members
 * with their states, refreshed until it ends. Screenshots go to `dist/screenshots/`.
 *
 * @module
 */
import { assert, assertEquals, assertLessOrEqual, assertStringIncludes } from "@std/assert";
import type { Page } from "npm:playwright-core@^1.65.1";
import { Buffer } from "node:buffer";
import { queueNames } from "../../src/broker/topology.ts";
import { Producer } from "../../src/producer/producer.ts";
import { Scheduler } from "../../src/scheduler/scheduler.ts";
import { Worker } from "../../src/worker/worker.ts";
import { catalog } from "../../tasks/mod.ts";
import { defineCatalog } from "../../src/task/catalog.ts";
import { defineTask } from "../../src/task/contract.ts";
import { z } from "zod";
import { handlers } from "../../tasks/handlers/mod.ts";
import { rawClient, TEST_URL, uniqueQueue } from "../_helpers/broker.ts";
import { chromiumInstalled, launchBrowser } from "../_helpers/browser.ts";
import { rootPath } from "../_helpers/cli.ts";
import { startDashboard } from "../_helpers/dashboard.ts";
import { putDeadLetters } from "../_helpers/dead_letters.ts";
import { freePort } from "../_helpers/ports.ts";
import { queueDepth } from "../_helpers/probe.ts";
import { rabbitmqInstalled, startRabbitNode } from "../_helpers/rabbit_node.ts";
import {
  blocking,
  catalog as workflowCatalog,
  handlers as workflowHandlers,
  nested,
  ordered,
  workflows,
} from "../fixtures/workflow_catalog.ts";

const ready = (await rabbitmqInstalled()) && (await chromiumInstalled());
if (!ready) {
  console.warn(
    "dashboard_test: needs rabbitmq-server and /usr/bin/chromium (Debian's chromium package; .ci/run installs it on the host); skipping",
  );
}

/** Flow control on the filling queue: a keyed task and a rate-limited one. */
const flowCatalog = defineCatalog(
  defineTask({ name: "op", schema: z.object({ account: z.string() }), key: "account" }),
  defineTask({
    name: "call",
    schema: z.object({ n: z.int() }),
    rateLimit: { perSecond: 5, burst: 5 },
  }),
);

/** The password of the user the dashboard connects as. */
const SECRET = "dash-s3cret-9f2c";

const SCREENSHOTS = rootPath("dist/screenshots/");

/** Resolves once the overview shows `value` in cell `field` of `queue`. */
async function shows(page: Page, queue: string, field: string, value: string, timeout = 15_000) {
  await page.waitForFunction(
    ([q, f, v]) =>
      document.querySelector(`#queues tr[data-queue="${q}"] td[data-field="${f}"]`)?.textContent ===
        v,
    [queue, field, value] as const,
    { timeout },
  );
}

Deno.test({
  name: "the dashboard in a real browser: counts, live updates, workers, replay, purge, schedules",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const managementPort = freePort();
    await using node = await startRabbitNode({
      prefix: "warren-dash",
      plugins: ["rabbitmq_management"],
      config: [
        `management.tcp.port = ${managementPort}`,
        "management.tcp.ip = 127.0.0.1",
        "collect_statistics_interval = 500",
      ],
    });
    await node.ctl("add_user", "dash", SECRET);
    await node.ctl("set_user_tags", "dash", "administrator");
    await node.ctl("set_permissions", "-p", "/", "dash", ".*", ".*", ".*");
    const url = `amqp://dash:${SECRET}@127.0.0.1:${node.port}`;
    const filling = uniqueQueue("warren_dash_fill");
    const draining = uniqueQueue("warren_dash_drain");
    await using client = await rawClient(url);
    client.track(filling, draining);

    // The filling queue keeps no history: its Tasks page says how to get one.
    const producer = await Producer.connect(catalog, { url, queue: filling, history: false });
    const worker = await Worker.start(handlers, {
      url,
      queue: draining,
      id: "dash-worker-1",
      history: true,
    });
    const scheduler = await Scheduler.start(catalog, [
      { name: "tick", task: "sleep", payload: { ms: 1 }, every: 1_000 },
    ], { url, queue: draining, id: "dash-scheduler" });
    await using dashboard = await startDashboard([
      "--url",
      url,
      "--queue",
      `${filling},${draining}`,
      "--management",
      `http://127.0.0.1:${managementPort}`,
      "--interval",
      "300ms",
      "--limit",
      "call",
    ], { broker: `127.0.0.1:${node.port}`, net: [`127.0.0.1:${managementPort}`] });
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    const bodies: Promise<string>[] = [];
    page.on(
      "console",
      (m) => m.type() === "error" && problems.push(`console: ${m.text()} (${m.location().url})`),
    );
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => {
      // The event stream is cut when the page goes: not a failure of the page.
      if (!r.url().endsWith("/api/events")) problems.push(`failed: ${r.url()}`);
    });
    page.on("response", (r) => {
      if (!r.url().endsWith("/api/events")) bodies.push(r.text().catch(() => ""));
    });
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    try {
      for (let i = 0; i < 7; i++) await producer.enqueue("sleep", { ms: 1 });
      for (let i = 0; i < 2; i++) await producer.enqueue("sleep", { ms: 1 }, { delay: 3_600_000 });
      await putDeadLetters(client, queueNames(filling).dead, [
        { id: "dead-1", body: '{"task":"sum","start":9,"end":1}', reason: "invalid-payload" },
        { id: "dead-2", body: '{"task":"sleep","ms":5}' },
        { id: "dead-3", body: '{"task":"sleep","ms":6}' },
      ]);

      await t.step(
        "the page loads, with no console error, and counts what the broker holds",
        async () => {
          await page.goto(dashboard.url);
          await page.waitForSelector("body[data-ready='1']");
          await shows(page, filling, "ready", "7");
          await shows(page, filling, "delayed", "2");
          await shows(page, filling, "dead", "3");
          assertEquals(await queueDepth(client, filling), 7);
          assertEquals(await queueDepth(client, queueNames(filling).dead), 3);
          assert((await page.locator("#source").innerText()).includes("management API"));
          assertEquals(problems, []);
        },
      );

      await t.step("live updates arrive within a few seconds", async () => {
        const started = Date.now();
        for (let i = 0; i < 5; i++) await producer.enqueue("sleep", { ms: 1 });
        await shows(page, filling, "ready", "12", 10_000);
        const seconds = (Date.now() - started) / 1000;
        console.log(`overview showed 5 new tasks ${seconds.toFixed(1)} s after they were enqueued`);
        assertLessOrEqual(seconds, 10);
      });

      await t.step("the key partitions and a rate limit show what waits in them", async () => {
        const flowProducer = await Producer.connect(flowCatalog, {
          url,
          queue: filling,
          history: false,
        });
        try {
          for (let i = 0; i < 3; i++) await flowProducer.enqueue("op", { account: "acct-7" });
          for (let n = 0; n < 2; n++) await flowProducer.enqueue("call", { n });
        } finally {
          await flowProducer.close();
        }
        await page.waitForFunction(
          (q) =>
            document.querySelector(`.flow[data-queue="${q}"] p.partitions`)?.textContent
              ?.includes("3 keyed"),
          filling,
          { timeout: 15_000 },
        );
        const flow = page.locator(`.flow[data-queue="${filling}"]`);
        const partitions = await flow.locator("p.partitions").innerText();
        assert(partitions.startsWith("16 key partitions, 3 keyed"), partitions);
        // No worker consumes the filling queue: every partition is shown, the one of acct-7 first.
        assertEquals(await flow.locator("table.partitions tbody tr").count(), 16);
        const first = await flow.locator("table.partitions tbody tr").first().innerText();
        assert(/\.part\.\d+\s+3\s+0/.test(first), first);
        await page.waitForFunction(
          (q) =>
            document.querySelector(`.flow[data-queue="${q}"] tr[data-limit="call"] td:nth-child(2)`)
              ?.textContent === "2",
          filling,
          { timeout: 15_000 },
        );
        const limit = await flow.locator('tr[data-limit="call"]').innerText();
        assert(limit.includes("not refilled"), limit);
        // The draining queue has neither partitions nor that limit: it shows no flow control.
        assertEquals(await page.locator(`.flow[data-queue="${draining}"]`).count(), 0);
        assertEquals(problems, []);
      });

      await t.step("the worker consuming a queue is named, from the management API", async () => {
        await page.waitForFunction(
          (q) =>
            document.querySelector(`table.workers[data-queue="${q}"]`)?.textContent?.includes(
              "dash-worker-1",
            ),
          draining,
          { timeout: 15_000 },
        );
        await page.waitForSelector(".chart canvas");
        await page.screenshot({ path: `${SCREENSHOTS}overview.png`, fullPage: true });
      });

      await t.step("the chart's times are ISO 8601 UTC, as every other time", async () => {
        const ticks = await page.evaluate(async () => {
          // (A path in a variable: the module is the page's, not one of this test's graph.)
          const chartModule = "/assets/chart.js";
          const { axisTimes } = await import(chartModule);
          return axisTimes([
            Date.UTC(2026, 11, 5, 9, 35) / 1000,
            Date.UTC(2026, 11, 5, 9, 36) / 1000,
          ]);
        });
        assertEquals(ticks, ["2026-12-05\n09:35:00Z", "09:36:00Z"]);
        const chart = page.locator(".chart .u-over").first();
        await chart.hover();
        const legend = await page.locator(".chart .u-legend .u-series").first().innerText();
        assert(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/.test(legend), legend);
      });

      await t.step("replay through the button, after the confirmation", async () => {
        await page.click("#nav-dead");
        await page.waitForSelector("#dead-table tbody tr");
        assertEquals(await page.locator("#dead-table tbody tr").count(), 3);
        await page.click("#dead-replay");
        await page.waitForSelector("#confirm");
        await page.screenshot({ path: `${SCREENSHOTS}dead-letters.png`, fullPage: true });
        await page.click("#confirm-yes");
        await page.waitForSelector("#dead-done");
        assert(
          (await page.locator("#dead-done").innerText()).startsWith("Replayed 3 dead letter(s)"),
        );
        assertEquals(await queueDepth(client, queueNames(filling).dead), 0);
        assertEquals(await queueDepth(client, filling), 15);
      });

      await t.step("purge through the button; cancelling first changes nothing", async () => {
        await putDeadLetters(client, queueNames(filling).dead, [
          { id: "dead-4", body: '{"task":"sleep","ms":7}' },
          { id: "dead-5", body: '{"task":"sleep","ms":8}' },
        ]);
        await page.click("#dead-load");
        await page.waitForFunction(() =>
          document.querySelectorAll("#dead-table tbody tr").length === 2
        );
        await page.click("#dead-purge");
        await page.click("#confirm-no");
        assertEquals(await queueDepth(client, queueNames(filling).dead), 2);
        await page.click("#dead-purge");
        await page.click("#confirm-yes");
        await page.waitForFunction(() =>
          document.querySelector("#dead-done")?.textContent?.startsWith("Purged 2")
        );
        assertEquals(await queueDepth(client, queueNames(filling).dead), 0);
      });

      await t.step("the schedules show their fires and the active scheduler", async () => {
        await page.click("#nav-schedules");
        await page.selectOption("#queue", draining);
        await page.waitForSelector('#schedules-table tr[data-schedule="tick"]');
        assert(
          (await page.locator("#scheduler").innerText()).includes(
            "Active scheduler: dash-scheduler",
          ),
        );
        await page.screenshot({ path: `${SCREENSHOTS}schedules.png`, fullPage: true });
      });

      await t.step("a task is looked up by its id", async () => {
        await putDeadLetters(client, queueNames(filling).dead, [{
          id: "dead-6",
          body: '{"task":"sleep","ms":9}',
        }]);
        await page.click("#nav-tasks");
        await page.fill("#task-id", "dead-6");
        await page.click("#task-search");
        await page.waitForSelector("#task-found");
        assert((await page.locator("#task-found").innerText()).includes("is a dead letter"));
      });

      await t.step(
        "the Tasks page follows the history, shows a timeline, and cancels a task",
        async () => {
          const recording = await Producer.connect(catalog, {
            url,
            queue: draining,
            history: true,
          });
          try {
            const { id } = await recording.enqueue("sleep", { ms: 60_000 });
            await page.selectOption("#queue", draining);
            const row = `#tasks-feed tr[data-id="${id}"][data-state="running"]`;
            await page.waitForSelector(row, { timeout: 15_000 });
            await page.click(row);
            await page.waitForSelector('#task-timeline tr[data-event="progress"]', {
              timeout: 15_000,
            });
            assert((await page.locator("#task-state").innerText()).includes("running (attempt 1"));
            // The recent window's counts, per task and state; the running task's duration.
            await page.waitForSelector(
              '#tasks-counts tr[data-task="sleep"] td[data-state="running"]',
            );
            const duration = await page.locator(`#tasks-feed tr[data-id="${id}"] td.duration`)
              .innerText();
            assert(/ so far$/.test(duration), duration);
            const wraps = await page.evaluate(() =>
              [...document.querySelectorAll("#tasks-feed td.time, #task-timeline td.time")]
                .map((cell) => getComputedStyle(cell).whiteSpace)
            );
            assert(wraps.length > 1 && wraps.every((w) => w === "nowrap"), wraps.join());
            await page.screenshot({ path: `${SCREENSHOTS}tasks.png`, fullPage: true });
            await page.click("#task-cancel");
            assertEquals(
              [
                await page.locator("#confirm-yes").innerText(),
                await page.locator("#confirm-no").innerText(),
              ],
              ["Cancel task", "Keep it running"],
            );
            await page.click("#confirm-yes");
            await page.waitForSelector('#task-state[data-state="cancelled"]', { timeout: 15_000 });
            assert((await page.locator("#task-done").innerText()).includes("Cancel requested"));
            assert(await page.locator('#task-timeline tr[data-event="cancelled"]').count() === 1);

            // The feed is flooded by the schedule's ticks (sleep): a filter by task.
            const sum = await recording.enqueue("sum", { start: 1, end: 3 });
            await page.waitForFunction(() =>
              [...document.querySelectorAll<HTMLOptionElement>("#tasks-task option")].some((o) =>
                o.value === "sum"
              )
            );
            await page.selectOption("#tasks-task", "sum");
            await page.waitForSelector(`#tasks-feed tr[data-id="${sum.id}"]`);
            await page.waitForFunction(() =>
              [...document.querySelectorAll("#tasks-feed tbody tr")].every((row) =>
                row.children[1]?.textContent === "sum"
              )
            );
            assertEquals(await page.locator("#tasks-of").innerText(), "sum");
            await page.selectOption("#tasks-task", "");

            // The last hour's tally: the sum task's events and run time; its row filters too.
            const sumHour = '#tasks-hour tr[data-task="sum"]';
            await page.waitForFunction(
              (row) =>
                document.querySelector(`${row} td[data-event="succeeded"]`)?.textContent === "1",
              sumHour,
            );
            assertEquals(
              await page.locator(`${sumHour} td[data-event="enqueued"]`).innerText(),
              "1",
            );
            const p50 = await page.locator(`${sumHour} td[data-run="p50"]`).innerText();
            assert(/^[\d.]+ ms$/.test(p50), p50);
            await page.click(sumHour);
            await page.waitForSelector("#tasks-of");
            assertEquals(await page.locator("#tasks-of").innerText(), "sum");
            await page.click(sumHour);
            await page.waitForSelector("#tasks-of", { state: "detached" });

            // A task that finishes while the cancel dialog is open: the dialog closes, says so.
            // It runs 15 s, so that the dialog opens in time on a loaded machine too.
            const short = await recording.enqueue("sleep", { ms: 15_000 });
            const shortRow = `#tasks-feed tr[data-id="${short.id}"][data-state="running"]`;
            await page.waitForSelector(shortRow, { timeout: 15_000 });
            await page.click(shortRow);
            await page.click("#task-cancel");
            await page.waitForSelector("#confirm");
            await page.waitForSelector("#confirm", { state: "detached", timeout: 25_000 });
            assert(
              (await page.locator("#task-done").innerText()).includes(
                `${short.id} finished meanwhile (succeeded)`,
              ),
            );

            // Another queue: its own feed; no id, task or feed row of the first stays.
            await page.selectOption("#queue", filling);
            await page.waitForSelector("#tasks-no-history");
            assertEquals(await page.locator("#task-id").inputValue(), "");
            assertEquals(await page.locator("#task-found").count(), 0);
            assertEquals(await page.locator("#tasks-feed tr[data-id]").count(), 0);
            assertEquals(await page.locator("#tasks-task").inputValue(), "");
          } finally {
            await recording.close();
          }
        },
      );

      await t.step(
        "a task's long error is cut, with the whole on request; unreadable events are counted",
        async () => {
          const events = queueNames(draining).events;
          const at = new Date().toISOString();
          const put = async (body: string) => {
            const channel = await client.connection.createConfirmChannel();
            channel.publish("", events, Buffer.from(body), {
              correlationId: "long-1",
              type: "warren.event",
            });
            await channel.waitForConfirms();
            await channel.close();
          };
          await put(JSON.stringify({
            v: 1,
            event: "dead",
            id: "long-1",
            task: "sleep",
            at,
            worker: "w",
            reason: "failed",
            error: `boom ${"x".repeat(5000)}`,
          }));
          await put(JSON.stringify({ v: 1, event: "started", id: "long-1", task: 5, at }));
          await page.selectOption("#queue", draining);
          // Picking a queue clears the id field once the page has rendered it, which may come
          // after the fill: search again until the task shows, for up to 30 s.
          const deadline = Date.now() + 30_000;
          for (;;) {
            await page.fill("#task-id", "long-1");
            await page.click("#task-search");
            const shown = await page.waitForSelector("#task-full", { timeout: 3_000 })
              .then(() => true, () => false);
            if (shown) break;
            assert(Date.now() < deadline, "the task looked up by its id within 30 s");
          }
          assert((await page.locator("#task-state").innerText()).includes("[cut: 5005 characters"));
          assert((await page.locator("#task-skipped").innerText()).startsWith("1 event(s)"));
          const whole = await (await fetch(
            new URL(await page.locator("#task-full").getAttribute("href") ?? "", dashboard.url),
          )).json();
          assertEquals(whole.record.error.length, 5005);
        },
      );

      await t.step("a cross-site form cannot purge", async () => {
        const evil = Deno.serve(
          { hostname: "127.0.0.1", port: 0, onListen() {} },
          () =>
            new Response(
              `<form id="f" method="post" action="${dashboard.url}api/queues/${filling}/dead/purge">
              <input name="confirm" value="${queueNames(filling).dead}"></form>
              <script>document.getElementById("f").submit()</script>`,
              { headers: { "content-type": "text/html" } },
            ),
        );
        try {
          const answer = page.waitForResponse((r) => r.url().endsWith("/dead/purge"));
          await page.goto(`http://127.0.0.1:${evil.addr.port}/`);
          assertEquals((await answer).status(), 403);
          assertEquals(await queueDepth(client, queueNames(filling).dead), 1);
        } finally {
          await evil.shutdown();
        }
      });

      await t.step(
        "a stopped worker leaves every queue shown, from the management API",
        async () => {
          // RabbitMQ 3.10 may keep the stopped worker's consumer of Q.control with an empty
          // channel_details list: that item alone is left out, not the whole answer.
          await page.goto(dashboard.url);
          await page.waitForSelector("body[data-ready='1']");
          await worker.close();
          const stopped = Date.now();
          const overview = async () =>
            await (await fetch(new URL("/api/overview", dashboard.url))).json() as {
              at: string;
              source: string;
              queues: { queue: string; exists: boolean; error?: string }[];
            };
          let seen = await overview();
          // Several readings of the management API (every 300 ms, its numbers every 500 ms).
          while (Date.parse(seen.at) < stopped + 2_000) {
            assert(Date.now() < stopped + 20_000, "the overview is read again within 20 s");
            await page.waitForTimeout(300);
            seen = await overview();
          }
          assertEquals(seen.source, "management");
          assertEquals(seen.queues.map((q) => [q.queue, q.exists, q.error ?? null]), [
            [filling, true, null],
            [draining, true, null],
          ]);
          assertEquals(await page.locator("[data-error]").count(), 0);
        },
      );

      await t.step("no response and no page holds the broker's password", async () => {
        for (
          const path of [
            "/api/overview",
            "/api/history",
            "/api/meta",
            `/api/queues/${filling}/dead`,
            "/api/queues/nope/dead",
          ]
        ) {
          bodies.push(fetch(new URL(path, dashboard.url)).then((r) => r.text()));
        }
        const texts = await Promise.all(bodies);
        assert(texts.length > 20, `${texts.length} responses seen`);
        for (const text of texts) assert(!text.includes(SECRET), text.slice(0, 300));
        const problemsBefore = problems.filter((p) => !p.includes("403"));
        assertEquals(problemsBefore, []);
      });
    } finally {
      await page.close();
      await scheduler.close();
      await worker.close();
      await producer.close();
      const { code, stderr } = await dashboard.stop();
      assertEquals(code, 0, stderr);
      assert(!stderr.includes(SECRET));
    }
  },
});

Deno.test({
  name: "the dashboard in a real browser: a workflow's tree, reached from one of its steps",
  ignore: !(await chromiumInstalled()),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const queue = uniqueQueue("warren_dash_wf");
    await using client = await rawClient();
    client.track(queue);
    const worker = await Worker.start(workflowHandlers, {
      url: TEST_URL,
      queue,
      workflows,
      id: "dash-wf-worker",
    });
    const producer = await Producer.connect(workflowCatalog, { url: TEST_URL, queue });
    await using dashboard = await startDashboard(["--queue", queue, "--interval", "300ms"]);
    await using browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on(
      "console",
      (m) => m.type() === "error" && problems.push(`console: ${m.text()} (${m.location().url})`),
    );
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    /** The state each step of the tree shows, by stage: `{"0": [[id, state], ...], ...}`. */
    const tree = () =>
      page.evaluate(() =>
        Object.fromEntries(
          [...document.querySelectorAll<HTMLElement>("#workflow-tree tbody.stage")].map((body) => [
            body.dataset.stage ?? "?",
            [...body.querySelectorAll<HTMLElement>("tr.step")].map((row) => [
              row.dataset.step ?? "?",
              row.querySelector(".state")?.textContent ?? "?",
            ]),
          ]),
        )
      );
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    try {
      await t.step(
        "a fan-out's member links to its workflow, whose tree shows every step",
        async () => {
          const run = await producer.start(ordered, { n: 3 });
          const outcome = await producer.result(run, { timeout: 30_000 });
          assertEquals(outcome.ok && outcome.result, "55,155,255");
          await page.goto(`${dashboard.url}#/tasks`);
          await page.waitForSelector("body[data-ready='1']");
          // The feed shows once the page has picked its queue: the search is not cleared then.
          await page.waitForSelector(`#tasks-feed tr[data-id="${run.id}.1.1"]`, {
            timeout: 15_000,
          });
          await page.fill("#task-id", `${run.id}.1.1`);
          await page.click("#task-search");
          await page.waitForSelector('#task-state[data-state="succeeded"]');
          assertEquals(await page.locator("#task-workflow-link").innerText(), run.id);
          await page.click("#task-workflow-link");
          await page.waitForSelector('#workflow-state[data-state="succeeded"]', {
            timeout: 15_000,
          });
          assertEquals(
            new URL(page.url()).hash,
            `#/workflow/${queue}/${run.id}`,
            "the address names the workflow",
          );
          assertEquals(await tree(), {
            "0": [[`${run.id}.0`, "succeeded"]],
            "1": [
              [`${run.id}.1.0`, "succeeded"],
              [`${run.id}.1.1`, "succeeded"],
              [`${run.id}.1.2`, "succeeded"],
            ],
            "end": [[run.id, "succeeded"]],
          });
          const heads = await page.locator("#workflow-tree tr.stage-head").allInnerTexts();
          assertEquals(heads.map((h) => h.replace(/\s+/g, " ").trim()), [
            "stage 0split",
            "stage 1sum3 member(s): 3 succeeded",
            "endlabel",
          ]);
          const end = page.locator(`#workflow-tree tr[data-step="${run.id}"]`);
          assertEquals(await end.locator("td.text").innerText(), '"55,155,255"');
          assert(/^\d+ ms$/.test(await end.locator("td.duration").innerText()));
          assertEquals(await page.locator("#workflow-tree tr.member td.where").allInnerTexts(), [
            "#0",
            "#1",
            "#2",
          ]);
          assertStringIncludes(await page.locator("#workflow-live").innerText(), "ended");
          await page.screenshot({ path: `${SCREENSHOTS}workflow.png`, fullPage: true });

          // Each step links to its task's page.
          await page.click(`#workflow-tree tr[data-step="${run.id}.1.2"] a.step-link`);
          await page.waitForFunction(
            (id) => document.querySelector("#task-state")?.textContent?.startsWith(`Task ${id} `),
            `${run.id}.1.2`,
          );
          assertEquals(await page.locator("#nav-tasks").getAttribute("class"), "active");
          assertEquals(problems, []);
        },
      );

      await t.step("a fan-out of chains lists each member's steps under its stage", async () => {
        const run = await producer.start(nested, { n: 2 });
        const outcome = await producer.result(run, { timeout: 30_000 });
        assertEquals(outcome.ok && outcome.result, "110,310");
        await page.goto(`${dashboard.url}#/workflow/${queue}/${run.id}`);
        await page.waitForSelector('#workflow-state[data-state="succeeded"]', { timeout: 15_000 });
        assertEquals((await tree())["1"], [
          [`${run.id}.1.0`, "succeeded"],
          [`${run.id}.1.0.1`, "succeeded"],
          [`${run.id}.1.1`, "succeeded"],
          [`${run.id}.1.1.1`, "succeeded"],
        ]);
        const stage = page.locator('#workflow-tree tbody[data-stage="1"]');
        assertEquals(await stage.locator("tr.member td.where").allInnerTexts(), [
          "#0",
          "#0.1",
          "#1",
          "#1.1",
        ]);
        assertStringIncludes(
          await stage.locator(".stage-counts").innerText(),
          "2 member(s), 4 steps: 4 succeeded",
        );
      });

      await t.step("a running workflow refreshes live, until it ends failed", async () => {
        const run = await producer.start(blocking, { x: 1 });
        // Opened by its address while its blocking step runs.
        await page.goto(`${dashboard.url}#/workflow/${queue}/${run.id}`);
        await page.waitForSelector(
          `#workflow-tree tr[data-step="${run.id}.1"] .state[data-state="running"]`,
          { timeout: 15_000 },
        );
        assertEquals(await page.locator("#workflow-state").getAttribute("data-state"), "running");
        assertStringIncludes(await page.locator("#workflow-live").innerText(), "refreshed every");
        await producer.cancel(run.id);
        await page.waitForSelector('#workflow-state[data-state="failed"]', { timeout: 20_000 });
        const states = await tree();
        assertEquals(states["0"], [[`${run.id}.0`, "succeeded"]]);
        assertEquals(states["1"], [[`${run.id}.1`, "cancelled"]]);
        assertEquals(states["end"]?.map(([id]) => id), [run.id]);
        const error = await page.locator(`#workflow-tree tr[data-step="${run.id}.1"] td.text`)
          .innerText();
        assertStringIncludes(error, "cancelled");
        assertStringIncludes(await page.locator("#workflow-live").innerText(), "ended");
        // Ended: the page reads the workflow no more, while the dashboard's clock (its live
        // snapshots' time, in the header) goes on for two of the page's refresh periods.
        let reads = 0;
        page.on("request", (r) => void (r.url().includes("/workflows/") && reads++));
        const endedAt = Math.floor(Date.now() / 1000) % 86_400;
        await page.waitForFunction(
          (since) => {
            const time = /(\d\d):(\d\d):(\d\d)/.exec(
              document.querySelector("#live")?.textContent ?? "",
            );
            if (!time) return false;
            const shown = Number(time[1]) * 3600 + Number(time[2]) * 60 + Number(time[3]);
            const later = (shown - since + 86_400) % 86_400;
            return later >= 3 && later < 3600;
          },
          endedAt,
          { timeout: 15_000 },
        );
        assertEquals(reads, 0, "no read of an ended workflow");

        // An unknown workflow says so.
        await page.goto(`${dashboard.url}#/workflow/${queue}/nobody`);
        await page.waitForSelector("#workflow-error");
        assertStringIncludes(
          await page.locator("#workflow-error").innerText(),
          "No workflow nobody",
        );
        assertEquals(problems.filter((p) => !p.includes("404")), []);
      });
    } finally {
      await page.close();
      await producer.close();
      await worker.close();
      const { code, stderr } = await dashboard.stop();
      assertEquals(code, 0, stderr);
    }
  },
});
