/**
 * The dashboard's HTTP surface without a browser, against the shared broker: the token, the
 * Host and Origin checks, the confirmation of destructive requests, and the errors of bad
 * requests, and a workflow's tree; `admin.ts dashboard` as a subprocess.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { queueNames } from "../../src/broker/topology.ts";
import { CONTENT_SECURITY_POLICY } from "../../src/dashboard/security.ts";
import { rawClient, uniqueQueue } from "../_helpers/broker.ts";
import { rootPath } from "../_helpers/cli.ts";
import { startDashboard } from "../_helpers/dashboard.ts";
import { putDeadLetters } from "../_helpers/dead_letters.ts";
import { queueDepth } from "../_helpers/probe.ts";
import { readHistory } from "../_helpers/history.ts";
import { Producer } from "../../src/producer/producer.ts";
import { Worker } from "../../src/worker/worker.ts";
import type { WorkflowLookup } from "../../src/history/workflow_lookup.ts";
import { catalog, handlers, ordered, workflows } from "../fixtures/workflow_catalog.ts";

const TOKEN = "a-token-of-32-characters-or-so-0";

/** Sends a raw HTTP/1.1 GET with the given Host header; the status line. */
async function getWithHost(port: number, path: string, host: string): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
  await conn.write(new TextEncoder().encode(request));
  const response = await new Response(conn.readable).text();
  return response.split("\r\n")[0]!;
}

Deno.test("the dashboard's API: headers, Host, Origin, confirmation and bad requests", async (t) => {
  const queue = uniqueQueue("warren_dash_api");
  const names = queueNames(queue);
  await using client = await rawClient();
  client.track(queue);
  await client.channel.assertQueue(queue, { durable: true });
  await putDeadLetters(client, names.dead, [{ id: "dead-1", body: '{"task":"sum"}' }]);
  await using dashboard = await startDashboard(["--queue", queue, "--interval", "200ms"]);
  const api = (path: string, init?: RequestInit) => fetch(new URL(path, dashboard.url), init);
  const origin = new URL(dashboard.url).origin;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    api(path, {
      method: "POST",
      headers: { "content-type": "application/json", origin, ...headers },
      body: JSON.stringify(body),
    });

  await t.step("the page, with its Content-Security-Policy and no inline script", async () => {
    const response = await api("/");
    assertEquals(response.status, 200);
    assertEquals(response.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
    assertEquals(response.headers.get("x-frame-options"), "DENY");
    const html = await response.text();
    assert(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), "no inline script");
    for (const asset of ["app.js", "preact.mjs", "htm-preact.mjs", "uplot.mjs", "style.css"]) {
      const file = await api(`/assets/${asset}`);
      assertEquals(file.status, 200, asset);
      const text = await file.text();
      assert(!/from\s*["'](preact|htm)/.test(text), `${asset}: no bare import left`);
    }
  });

  await t.step("the overview counts what the broker holds", async () => {
    const overview = await (await api("/api/overview")).json();
    assertEquals(overview.source, "amqp");
    assertEquals(overview.queues[0].queue, queue);
    assertEquals(overview.queues[0].dead, 1);
    assertEquals(overview.queues[0].ready, 0);
  });

  await t.step("a request naming another host is refused (DNS rebinding)", async () => {
    assertStringIncludes(
      await getWithHost(dashboard.port, "/api/overview", `127.0.0.1:${dashboard.port}`),
      "200",
    );
    assertStringIncludes(
      await getWithHost(dashboard.port, "/api/overview", `evil.example:${dashboard.port}`),
      "403",
    );
  });

  await t.step(
    "a POST from another origin, or without JSON, or unconfirmed, is refused",
    async () => {
      const path = `/api/queues/${queue}/dead/purge`;
      const crossSite = await post(path, { confirm: names.dead }, {
        origin: "http://evil.example",
      });
      assertEquals(crossSite.status, 403);
      const noOrigin = await api(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ confirm: names.dead }),
      });
      assertEquals(noOrigin.status, 403);
      const form = await api(path, {
        method: "POST",
        headers: { origin, "content-type": "application/x-www-form-urlencoded" },
        body: `confirm=${names.dead}`,
      });
      assertEquals(form.status, 415);
      const unconfirmed = await post(path, {});
      assertEquals(unconfirmed.status, 400);
      const wrong = await post(path, { confirm: queue });
      assertEquals(wrong.status, 400);
      assertStringIncludes((await wrong.json()).error, `"confirm": "${names.dead}"`);
      assertEquals(await queueDepth(client, names.dead), 1, "nothing was purged");
    },
  );

  await t.step("bad filters and unknown queues are 400 and 404, with a message", async () => {
    const reason = await api(`/api/queues/${queue}/dead?reason=bored`);
    assertEquals(reason.status, 400);
    assertStringIncludes((await reason.json()).error, "reason");
    const unknown = await api("/api/queues/nope/dead");
    assertEquals(unknown.status, 404);
    assertStringIncludes((await unknown.json()).error, `it shows ${queue}`);
    const page = await api("/nowhere");
    assertEquals(page.status, 404);
    await page.body?.cancel();
  });

  await t.step(
    "a body over 64 KiB is refused with 413, whether its size is said or not",
    async () => {
      const big = { confirm: names.dead, task: "x".repeat(200 * 1024) };
      const said = await post(`/api/queues/${queue}/dead/replay`, big);
      assertEquals(said.status, 413);
      assertStringIncludes((await said.json()).error, "over 65536 bytes");
      const chunks = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 40; i++) controller.enqueue(new Uint8Array(8 * 1024).fill(32));
          controller.close();
        },
      });
      const streamed = await api(`/api/queues/${queue}/dead/replay`, {
        method: "POST",
        headers: { "content-type": "application/json", origin },
        body: chunks,
      });
      assertEquals(streamed.status, 413);
      await streamed.body?.cancel();
      assertEquals(await queueDepth(client, names.dead), 1, "nothing was replayed");
    },
  );

  await t.step("a confirmed replay moves the dead letter back", async () => {
    const replay = await post(`/api/queues/${queue}/dead/replay`, { confirm: names.dead });
    assertEquals(replay.status, 200);
    assertEquals((await replay.json()).replayed, 1);
    assertEquals(await queueDepth(client, names.dead), 0);
    assertEquals(await queueDepth(client, queue), 1);
  });

  await t.step("a task is found among the dead letters by its id", async () => {
    await putDeadLetters(client, names.dead, [{ id: "dead-2", body: '{"task":"sum"}' }]);
    const found = await (await api(`/api/queues/${queue}/tasks/dead-2`)).json();
    assertEquals(found.deadLetter.id, "dead-2");
    const missing = await (await api(`/api/queues/${queue}/tasks/nobody`)).json();
    assertEquals(missing.deadLetter, null);
    assertStringIncludes(missing.note, "history");
  });

  await t.step("without a history, the feed says that it was turned off", async () => {
    const feed = await (await api(`/api/queues/${queue}/tasks`)).json();
    assertEquals(feed.history, false);
    assertStringIncludes(feed.note, "--no-history");
    const bad = await api(`/api/queues/${queue}/tasks?state=sleeping`);
    assertEquals(bad.status, 400);
    assertStringIncludes((await bad.json()).error, "state");
  });

  await t.step("a cancel needs the task's id as its confirmation", async () => {
    const unconfirmed = await post(`/api/queues/${queue}/tasks/t-1/cancel`, { confirm: "t-2" });
    assertEquals(unconfirmed.status, 400);
    assertStringIncludes((await unconfirmed.json()).error, `"confirm": "t-1"`);
    const cancelled = await post(`/api/queues/${queue}/tasks/t-1/cancel`, { confirm: "t-1" });
    assertEquals((await cancelled.json()).outcome, "requested");
  });

  const { code, stderr } = await dashboard.stop();
  assertEquals(code, 0, stderr);
});

Deno.test("the dashboard's API: a workflow's steps by stage, 404 for an unknown one, 400 for a bad id", async (t) => {
  const queue = uniqueQueue("warren_dash_workflow");
  await using client = await rawClient();
  client.track(queue);
  const worker = await Worker.start(handlers, { queue, workflows, id: "dash-wf-worker" });
  const producer = await Producer.connect(catalog, { queue });
  await using dashboard = await startDashboard(["--queue", queue, "--interval", "200ms"]);
  const api = (path: string) => fetch(new URL(path, dashboard.url));
  const refused = async (path: string, status: number, words: string) => {
    const response = await api(path);
    const body = await response.json();
    assertEquals(response.status, status, `${path}: ${JSON.stringify(body)}`);
    assertStringIncludes(body.error, words, path);
    return body.error as string;
  };
  try {
    const run = await producer.start(ordered, { n: 3 });
    const outcome = await producer.result(run, { timeout: 30_000 });
    assertEquals(outcome.ok && outcome.result, "55,155,255");

    await t.step("the workflow, its steps ordered by stage then member", async () => {
      const response = await api(`/api/queues/${queue}/workflows/${run.id}`);
      assertEquals(response.status, 200);
      const found = await response.json() as WorkflowLookup;
      assertEquals(found.id, run.id);
      assertEquals(found.state, "succeeded");
      assertEquals(
        found.steps.map((s) => [s.id, s.stage, s.member ?? null, s.record.task, s.record.state]),
        [
          [`${run.id}.0`, 0, null, "split", "succeeded"],
          [`${run.id}.1.0`, 1, 0, "sum", "succeeded"],
          [`${run.id}.1.1`, 1, 1, "sum", "succeeded"],
          [`${run.id}.1.2`, 1, 2, "sum", "succeeded"],
          [run.id, "end", null, "label", "succeeded"],
        ],
      );
      assertEquals(found.steps.at(-1)?.record.result, "55,155,255");
      assert(found.steps.every((s) => typeof s.ms === "number" && s.record.attempts === 1));
      assertEquals(found.skipped.count, 0);
    });

    await t.step(
      "every step's started event names its workflow, and so does its task's page",
      async () => {
        const started = (await readHistory(queue)).filter((e) => e.event === "started");
        assertEquals(started.length, 5);
        for (const event of started) {
          assertEquals(event.event === "started" && event.workflow, run.id, event.id);
        }
        const step = await (await api(`/api/queues/${queue}/tasks/${run.id}.1.1`)).json();
        assertEquals(step.record.workflow, run.id);
      },
    );

    await t.step(
      "an unknown workflow, or one of an unknown queue, is 404 with a message",
      async () => {
        await refused(`/api/queues/${queue}/workflows/nobody`, 404, "No workflow nobody");
        await refused("/api/queues/nope/workflows/nobody", 404, `it shows ${queue}`);
        // At the bound (128 bytes: 64 two-byte characters) an id is looked up.
        await refused(
          `/api/queues/${queue}/workflows/${encodeURIComponent("é".repeat(64))}`,
          404,
          "No workflow",
        );
      },
    );

    await t.step("a hostile id is refused with 400 before the history is read", async () => {
      for (
        const id of [
          "w".repeat(129),
          "é".repeat(65),
          "x".repeat(8_000),
          `${run.id}.1.1`,
          "a b",
          "a\u0000b",
          "a\nb",
          "\u007f",
        ]
      ) {
        const error = await refused(
          `/api/queues/${queue}/workflows/${encodeURIComponent(id)}`,
          400,
          "1 to 128 bytes of printable characters",
        );
        assert(error.length < 400, `the id is cut in the message: ${error.length} characters`);
      }
      await refused(`/api/queues/${queue}/workflows/${run.id}?full=1`, 400, "the query");
    });
  } finally {
    await producer.close();
    await worker.close();
    const { code, stderr } = await dashboard.stop();
    assertEquals(code, 0, stderr);
  }
});

Deno.test("a dashboard with a token refuses requests without it, and takes it once from the address", async () => {
  const queue = uniqueQueue("warren_dash_token");
  await using client = await rawClient();
  client.track(queue);
  await using dashboard = await startDashboard(["--queue", queue], {
    env: { WARREN_DASHBOARD_TOKEN: TOKEN },
  });
  const api = (path: string, headers: Record<string, string> = {}) =>
    fetch(new URL(path, dashboard.url), { headers, redirect: "manual" });
  for (const path of ["/", "/api/overview", "/api/events", "/assets/app.js"]) {
    const refused = await api(path);
    assertEquals(refused.status, 401, path);
    assertStringIncludes((await refused.json()).error, "token");
  }
  const wrong = await api("/api/overview", { authorization: `Bearer ${TOKEN.slice(0, -1)}x` });
  assertEquals(wrong.status, 401);
  await wrong.body?.cancel();
  const bearer = await api("/api/overview", { authorization: `Bearer ${TOKEN}` });
  assertEquals(bearer.status, 200);
  await bearer.body?.cancel();
  const given = await api(`/?token=${TOKEN}`);
  assertEquals(given.status, 303);
  assertEquals(given.headers.get("location"), "/");
  const cookie = given.headers.get("set-cookie") ?? "";
  assertStringIncludes(cookie, "HttpOnly");
  assertStringIncludes(cookie, "SameSite=Strict");
  const withCookie = await api("/api/overview", { cookie: cookie.split(";")[0]! });
  assertEquals(withCookie.status, 200);
  await withCookie.body?.cancel();
  const badQuery = await api(`/?token=nope`);
  assertEquals(badQuery.status, 401);
  await badQuery.body?.cancel();
  const badEscape = await api("/api/overview", { cookie: "warren_dashboard_token=%E0%A4%A" });
  assertEquals(badEscape.status, 401, "a cookie that does not decode is no token");
  assertStringIncludes((await badEscape.json()).error, "token");
});

Deno.test("off loopback the dashboard needs a token: exit 2 before it listens", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net=localhost:5672",
      "--allow-env=AMQP_URL,WARREN_QUEUE,WARREN_MANAGEMENT_URL,WARREN_DASHBOARD_TOKEN",
      rootPath("admin.ts"),
      "dashboard",
      "--host",
      "0.0.0.0",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assertEquals(code, 2);
  assertEquals(new TextDecoder().decode(stdout), "");
  assertStringIncludes(new TextDecoder().decode(stderr), "on 0.0.0.0 without a token");
});
