/**
 * The management API client against a fake HTTP server (Deno.serve on 127.0.0.1) that answers
 * with JSON of the shape RabbitMQ 3.10 returns (recorded from a real node). The real plugin is
 * exercised in tests/integration/admin_management_test.ts.
 *
 * @module
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import {
  ManagementError,
  managementStatus,
  parseManagementUrl,
  vhostOf,
} from "../../../src/admin/management.ts";
import { ConfigError } from "../../../src/errors/config_error.ts";
import { ConnectionError } from "../../../src/errors/connection_error.ts";
import { queueNames } from "../../../src/broker/topology.ts";
import { freePort } from "../../_helpers/ports.ts";

interface Seen {
  readonly path: string;
  readonly params: URLSearchParams;
  readonly auth: string | null;
}

/** Serves `pages` (by page number) or a fixed response; records each request. */
async function fakeApi(
  answer: (url: URL) => Response,
  run: (base: string, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    seen.push({
      path: url.pathname,
      params: url.searchParams,
      auth: req.headers.get("authorization"),
    });
    return answer(url);
  });
  try {
    await run(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

// Shapes as RabbitMQ 3.10.8 answered GET /api/queues/%2F?page=1&...&columns=...
const PAGE_1 = {
  filtered_count: 4,
  item_count: 3,
  items: [
    {
      consumers: 2,
      message_stats: { deliver_get_details: { rate: 4.2 }, publish_details: { rate: 5.5 } },
      messages_ready: 7,
      messages_unacknowledged: 2,
      name: "jobs",
    },
    { consumers: 0, messages_ready: 1, messages_unacknowledged: 0, name: "jobs.dead" },
    { name: "jobs.retry.4000" }, // new: no numbers collected yet
  ],
  page: 1,
  page_count: 2,
  page_size: 3,
  total_count: 9,
};
const PAGE_2 = {
  filtered_count: 4,
  item_count: 1,
  items: [
    {
      consumers: 0,
      message_stats: { publish_details: { rate: 0.4 } },
      messages_ready: 3,
      messages_unacknowledged: 0,
      name: "jobs.retry.1000",
    },
  ],
  page: 2,
  page_count: 2,
  page_size: 3,
  total_count: 9,
};

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });

Deno.test("managementStatus() reads every queue of Q, page by page", async () => {
  await fakeApi(
    (url) => json(url.searchParams.get("page") === "2" ? PAGE_2 : PAGE_1),
    async (base, seen) => {
      const report = await managementStatus(queueNames("jobs"), {
        url: `${base}/`,
        amqpUrl: "amqp://alice:s%40cret@localhost:5672/prod",
      });
      assertEquals(seen.length, 2);
      const first = seen[0]!;
      assertEquals(first.path, "/api/queues/prod");
      assertEquals(first.auth, `Basic ${btoa("alice:s@cret")}`);
      assertEquals(first.params.get("use_regex"), "true");
      assertEquals(
        first.params.get("name"),
        "^jobs(\\.dead|\\.events|\\.control|\\.wait\\.[0-9]+|\\.delay\\.[0-9]+|\\.retry\\.[0-9]+)?$",
      );
      assertStringIncludes(first.params.get("columns") ?? "", "message_stats.publish_details.rate");
      assertEquals(seen[1]!.params.get("page"), "2");

      assertEquals(report.source, "management");
      assertEquals(report.from, base);
      assertEquals(report.queues.map((q) => [q.name, q.role, q.delayMs]), [
        ["jobs", "main", undefined],
        ["jobs.retry.1000", "retry", 1000],
        ["jobs.retry.4000", "retry", 4000],
        ["jobs.dead", "dead", undefined],
      ]);
      const [main, retry1, retry4, dead] = report.queues;
      assertEquals(
        [main!.ready, main!.unacked, main!.consumers, main!.publishRate, main!.deliverRate],
        [7, 2, 2, 5.5, 4.2],
      );
      assertEquals([retry1!.publishRate, retry1!.deliverRate], [0.4, 0]);
      assertEquals([retry4!.ready, retry4!.publishRate], [null, null]);
      assertEquals([dead!.ready, dead!.publishRate, dead!.deliverRate], [1, 0, 0]);
      assert(report.notes.some((n) => n.includes("jobs.retry.4000")), report.notes.join("\n"));
    },
  );
});

Deno.test("managementStatus() reports missing queues, other vhosts and logins", async (t) => {
  await t.step("main and dead queues that do not exist are listed as missing", async () => {
    await fakeApi(() => json({ items: [], page_count: 0 }), async (base) => {
      const report = await managementStatus(queueNames("a.b"), { url: base });
      assertEquals(report.queues.map((q) => [q.name, q.exists]), [["a.b", false], [
        "a.b.dead",
        false,
      ]]);
    });
  });

  await t.step(
    "the default vhost is /, escaped; credentials of the management URL win",
    async () => {
      await fakeApi(() => json([]), async (base, seen) => {
        const url = base.replace("http://", "http://bob:pw@");
        const report = await managementStatus(queueNames("q.x"), {
          url,
          amqpUrl: "amqp://alice:secret@localhost",
        });
        assertEquals(seen[0]!.path, "/api/queues/%2F");
        assertEquals(
          seen[0]!.params.get("name"),
          "^q\\.x(\\.dead|\\.events|\\.control|\\.wait\\.[0-9]+|\\.delay\\.[0-9]+|\\.retry\\.[0-9]+)?$",
        );
        assertEquals(seen[0]!.auth, `Basic ${btoa("bob:pw")}`);
        assertEquals(report.from, base.replace("http://", "http://bob:***@"));
      });
    },
  );

  await t.step("guest/guest when no URL names a user", async () => {
    await fakeApi(() => json([]), async (base, seen) => {
      await managementStatus(queueNames("q"), { url: base });
      assertEquals(seen[0]!.auth, `Basic ${btoa("guest:guest")}`);
    });
  });
});

Deno.test("managementStatus() says what went wrong", async (t) => {
  await t.step("401: check the user and password", async () => {
    await fakeApi(() => json({ error: "not_authorised" }, 401), async (base) => {
      const err = await assertRejects(
        () => managementStatus(queueNames("q"), { url: base }),
        ManagementError,
        "refused the login (401)",
      );
      assertEquals(err.status, 401);
    });
  });

  await t.step("404 of an unknown vhost", async () => {
    await fakeApi(
      () => json({ error: "Object Not Found", reason: "Not Found" }, 404),
      async (base) => {
        await assertRejects(
          () => managementStatus(queueNames("q"), { url: base, amqpUrl: "amqp://localhost/nope" }),
          ManagementError,
          "404",
        );
      },
    );
  });

  await t.step("an answer that is not JSON", async () => {
    await fakeApi(() => new Response("<html>"), async (base) => {
      await assertRejects(
        () => managementStatus(queueNames("q"), { url: base }),
        ManagementError,
        "not JSON",
      );
    });
  });

  await t.step("JSON of another shape", async () => {
    await fakeApi(() => json({ items: "nope" }), async (base) => {
      await assertRejects(
        () => managementStatus(queueNames("q"), { url: base }),
        ManagementError,
        "unexpected shape",
      );
    });
  });

  await t.step("nobody listening", async () => {
    const port = freePort();
    await assertRejects(
      () => managementStatus(queueNames("q"), { url: `http://127.0.0.1:${port}` }),
      ConnectionError,
      "is the rabbitmq_management plugin enabled",
    );
  });
});

Deno.test("parseManagementUrl() and vhostOf() check and read URLs", () => {
  assertEquals(parseManagementUrl("http://h:15672", "--management"), "http://h:15672");
  for (const bad of ["h:15672", "amqp://h:5672", "nonsense"]) {
    try {
      parseManagementUrl(bad, "--management");
      throw new Error(`accepted ${bad}`);
    } catch (err) {
      assert(err instanceof ConfigError, String(err));
      assertStringIncludes(err.message, "--management");
    }
  }
  assertEquals(vhostOf("amqp://localhost"), "/");
  assertEquals(vhostOf("amqp://localhost:5672/"), "/");
  assertEquals(vhostOf("amqp://localhost/%2F"), "/");
  assertEquals(vhostOf("amqp://localhost/prod"), "prod");
});

Deno.test("managementStatus() leaves out a queue of an odd shape, keeps the others, and says so", async () => {
  const page = {
    items: [
      { name: "jobs", messages_ready: 3, consumers: "two", message_stats: [] },
      { name: 42 },
      { consumers: 1, messages_ready: 1, messages_unacknowledged: 0, name: "jobs.dead" },
    ],
    page_count: 1,
  };
  await fakeApi(() => json(page), async (base) => {
    const report = await managementStatus(queueNames("jobs"), { url: base });
    assertEquals(report.queues.map((q) => [q.name, q.exists, q.ready, q.consumers]), [
      ["jobs", true, 3, null],
      ["jobs.dead", true, 1, 1],
    ]);
    assert(
      report.notes.some((n) => n.includes("1 queue(s) of the answer had an unexpected shape")),
      report.notes.join("\n"),
    );
  });
});

Deno.test("managementStatus() reads each stream's retention from its arguments, and nothing else of them", async () => {
  const page = {
    items: [
      { name: "jobs", messages_ready: 0, arguments: { "x-queue-type": "quorum" } },
      {
        name: "jobs.events",
        messages_ready: 9,
        arguments: { "x-max-age": "604800s", "x-max-length-bytes": 1_000_000_000 },
      },
      { name: "jobs.control", messages_ready: 1, arguments: { "x-max-age": ["odd"] } },
    ],
    page_count: 1,
  };
  await fakeApi(() => json(page), async (base, seen) => {
    const report = await managementStatus(queueNames("jobs"), { url: base });
    assertStringIncludes(seen[0]!.params.get("columns") ?? "", "arguments");
    assertEquals(report.queues.map((q) => [q.name, q.retention]), [
      ["jobs", undefined],
      ["jobs.dead", undefined],
      ["jobs.events", { maxAge: "604800s", maxBytes: 1_000_000_000 }],
      ["jobs.control", { maxAge: null, maxBytes: null }],
    ]);
  });
});
