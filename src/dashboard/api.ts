/**
 * The dashboard's HTTP surface, as one hono app: the page and its assets, a JSON API over the
 * admin tools, and a stream of snapshots as server-sent events; with the rules of
 * `security.ts` applied to every request (token, Host, Origin, content type, headers).
 *
 * @module
 */
import type { Admin, TaskLookup } from "../admin/admin.ts";
import type { DeadLetter, ListOptions } from "../admin/dead_letters.ts";
import { bodyLimit, type Context, Hono, streamSSE } from "../deps/hono.ts";
import { z } from "../deps/zod.ts";
import { ConfigError } from "../errors/config_error.ts";
import { describeError } from "../errors/describe.ts";
import { MissingQueueError } from "../errors/missing_queue_error.ts";
import { DEAD_REASONS } from "../wire/dead_reasons.ts";
import { isFinished, TASK_STATES } from "../history/timeline.ts";
import { describeState, eventDetail, recordDetail } from "../history/describe.ts";
import { clipEvent, clipRecord, clipText, recordWasCut } from "../history/clip.ts";
import { MAX_KEPT_EVENTS } from "../history/lookup.ts";
import { ASSETS, INDEX } from "./assets.ts";
import {
  loopbackHostAllowed,
  sameOrigin,
  SECURITY_HEADERS,
  TOKEN_COOKIE,
  tokenOf,
  tokensEqual,
} from "./security.ts";
import type { Snapshot } from "./snapshot.ts";
import type { DashboardState } from "./state.ts";
import { taskDuration } from "./duration.ts";
import type { TaskState } from "../history/timeline.ts";
import { isWorkflowId } from "../workflow/start.ts";
import { MAX_WORKFLOW_ID_BYTES } from "../wire/workflow.ts";

/** Who may use the dashboard. */
export interface DashboardAccess {
  /** The token every request must carry, if any (required off loopback). */
  readonly token: string | undefined;
  /** The host the dashboard listens on. */
  readonly host: string;
  /** The port it listens on (known once it listens). */
  readonly port: () => number;
}

/** Options of {@linkcode dashboardApp}. */
export interface DashboardAppOptions {
  /** The state the API reads. */
  readonly state: DashboardState;
  /** Who may use it. */
  readonly access: DashboardAccess;
  /** Makes a message safe to show: removes every password it could hold. */
  readonly redact: (text: string) => string;
  /** Called with each event stream, so that closing the dashboard can end them. */
  readonly onStream: (abort: () => void) => () => void;
}

/** The most dead letters one request lists or replays. */
const MAX_LIMIT = 500;

/**
 * The largest request body, in bytes: the API takes small JSON objects (a filter, a
 * confirmation). A larger one is refused with 413 before it is read whole.
 */
export const MAX_BODY_BYTES = 64 * 1024;

const Filter = z.object({
  task: z.string().min(1).optional(),
  reason: z.enum(DEAD_REASONS).optional(),
  id: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
}).strict();

const Confirmed = z.object({ confirm: z.string() });

const TaskFilter = z.object({
  state: z.enum(TASK_STATES as [string, ...string[]]).optional(),
  task: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
}).strict();

/** The most characters of an error, a result or a payload that a task's page is sent. */
export const API_TEXT_MAX = 2000;

/**
 * With `?full=1`: the most characters of the record's own error, result and note (the reader's
 * bound on an event is 1 MiB); its events' texts are cut to 16 KiB, and `?event=N` sends the
 * N-th event (from 0) whole.
 */
export const FULL_TEXT_MAX = 1024 * 1024;

/** With `?full=1`, the most characters of each event's texts. */
const FULL_EVENT_TEXT_MAX = 16 * 1024;

const TaskQuery = z.object({
  full: z.enum(["0", "1"]).optional(),
  event: z.coerce.number().int().min(0).max(MAX_KEPT_EVENTS).optional(),
}).strict();

const CancelBody = z.object({ confirm: z.string(), drop: z.boolean().optional() }).strict();

/** A request the API refuses, with the status and message to answer. */
class Refusal extends Error {
  constructor(readonly status: 400 | 403 | 404 | 415, message: string) {
    super(message);
  }
}

/** A filter without its absent fields. */
function filterOf(filter: z.output<typeof Filter>): ListOptions {
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join(".") || what}: ${i.message}`);
  throw new Refusal(400, `Cannot use ${what}: ${issues.join("; ")}`);
}

function statusOf(err: unknown): 400 | 403 | 404 | 415 | 502 {
  if (err instanceof Refusal) return err.status;
  if (err instanceof ConfigError) return 400;
  if (err instanceof MissingQueueError) return 404;
  return 502;
}

/**
 * A task's record as the page shows it: with its state and each event in words, its long texts
 * cut to `max` characters (its events' to `eventMax`), and whether any was.
 */
function described(record: TaskLookup, max: number, eventMax: number) {
  const events = record.events.map((event) => clipEvent(event, eventMax));
  const clipped = { ...clipRecord({ ...record, events: [] }, max), events };
  return {
    ...clipped,
    finished: isFinished(record.state),
    summary: describeState(clipped),
    cut: recordWasCut(clipped),
    events: events.map((event) => ({ ...event, detail: eventDetail(event) })),
  };
}

/** A dead letter with its body and error cut to the API's bounds. */
function clippedLetter(letter: DeadLetter, full: boolean): DeadLetter {
  const max = full ? FULL_TEXT_MAX : API_TEXT_MAX;
  return {
    ...letter,
    body: clipText(letter.body, max),
    error: letter.error === null ? null : clipText(letter.error, max),
    task: letter.task === null ? null : clipText(letter.task, 200),
  };
}

/** The dashboard's app; see the module documentation. */
export function dashboardApp(options: DashboardAppOptions): Hono {
  const { state, access, redact } = options;
  const app = new Hono();

  app.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });

  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json({
          error:
            `The request's body is over ${MAX_BODY_BYTES} bytes: the dashboard takes small JSON objects only`,
        }, 413),
    }),
  );

  app.use("*", async (c, next) => {
    const url = new URL(c.req.url);
    if (access.token === undefined) {
      if (!loopbackHostAllowed(c.req.header("host") ?? null, access.host, access.port())) {
        throw new Refusal(403, "This dashboard answers to its own address only");
      }
    } else {
      const offered = url.pathname === "/" ? url.searchParams.get("token") : null;
      if (offered !== null && await tokensEqual(offered, access.token)) {
        // Once given in the address, the token lives in a cookie, and leaves the address bar.
        c.header(
          "set-cookie",
          `${TOKEN_COOKIE}=${encodeURIComponent(offered)}; HttpOnly; SameSite=Strict; Path=/`,
        );
        return c.redirect("/", 303);
      }
      const given = tokenOf(c.req.raw.headers);
      if (given === undefined || !(await tokensEqual(given, access.token))) {
        return c.json({
          error:
            "This dashboard needs its token: open /?token=<token> once, or send Authorization: Bearer <token>",
        }, 401);
      }
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      if (!sameOrigin(c.req.header("origin") ?? null, c.req.url)) {
        throw new Refusal(403, "Refused: this request does not come from the dashboard's own page");
      }
      if (!(c.req.header("content-type") ?? "").startsWith("application/json")) {
        throw new Refusal(415, "Send JSON (Content-Type: application/json)");
      }
    }
    await next();
    return undefined;
  });

  const adminOf = (c: Context): Admin => {
    const queue = c.req.param("queue") ?? "";
    const admin = state.admin(queue);
    if (admin === undefined) {
      throw new Refusal(
        404,
        `The dashboard does not show a work queue '${queue}': it shows ${state.queues.join(", ")}`,
      );
    }
    return admin;
  };
  const confirmed = async (c: Context, admin: Admin) => {
    const body: unknown = await c.req.json().catch(() => {
      throw new Refusal(400, "The request's body is not JSON");
    });
    const { confirm, ...rest } = parse(Confirmed.passthrough(), body, "the request");
    if (confirm !== admin.names.dead) {
      throw new Refusal(
        400,
        `Confirm with "confirm": "${admin.names.dead}", the dead-letter queue this acts on`,
      );
    }
    return rest;
  };

  app.get(
    "/",
    (c) => c.body(INDEX.body, 200, { "content-type": INDEX.type, "cache-control": "no-store" }),
  );
  app.get("/assets/:name", (c) => {
    const asset = ASSETS.get(c.req.param("name"));
    if (asset === undefined) throw new Refusal(404, `No such file: ${c.req.path}`);
    return c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "no-cache" });
  });
  // A page the browser shows without the dashboard's own (a refused request) asks for this.
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get(
    "/api/meta",
    (c) => c.json({ queues: state.queues, reasons: DEAD_REASONS, states: TASK_STATES }),
  );
  app.get("/api/overview", (c) => c.json(state.latest ?? null));
  app.get("/api/history", (c) => c.json(state.history));
  app.get("/api/events", (c) =>
    streamSSE(c, async (stream) => {
      // Only the latest snapshot waits to be sent: a slow browser skips, never queues.
      let pending: Snapshot | undefined = state.latest;
      let wake: (() => void) | undefined;
      const unsubscribe = state.subscribe((snapshot) => {
        pending = snapshot;
        wake?.();
      });
      const forget = options.onStream(() => stream.abort());
      stream.onAbort(() => wake?.());
      try {
        while (!stream.aborted) {
          if (pending === undefined) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
            continue;
          }
          const snapshot = pending;
          pending = undefined;
          await stream.writeSSE({ event: "snapshot", data: JSON.stringify(snapshot) });
        }
      } finally {
        unsubscribe();
        forget();
      }
    }));
  app.get("/api/queues/:queue/dead", async (c) => {
    const admin = adminOf(c);
    const filter = filterOf(parse(Filter, c.req.query(), "the filter"));
    const list = await admin.listDead({ limit: 50, ...filter });
    return c.json({ ...list, messages: list.messages.map((m) => clippedLetter(m, false)) });
  });
  app.post("/api/queues/:queue/dead/replay", async (c) => {
    const admin = adminOf(c);
    const filter = filterOf(parse(Filter, await confirmed(c, admin), "the filter"));
    return c.json(await admin.replayDead(filter));
  });
  app.post("/api/queues/:queue/dead/purge", async (c) => {
    const admin = adminOf(c);
    parse(z.object({}).strict(), await confirmed(c, admin), "the request");
    return c.json({ queue: admin.names.dead, purged: await admin.purge("dead") });
  });
  app.get("/api/queues/:queue/schedules", async (c) => c.json(await adminOf(c).schedules()));
  app.get("/api/queues/:queue/tasks", async (c) => {
    adminOf(c);
    const filter = parse(TaskFilter, c.req.query(), "the filter");
    const feed = await state.tasks(c.req.param("queue"), {
      limit: filter.limit ?? 50,
      ...(filter.state ? { state: filter.state as TaskState } : {}),
      ...(filter.task ? { task: filter.task } : {}),
    });
    const now = Date.now();
    return c.json({
      ...feed,
      tasks: feed.tasks.map((r) => ({
        ...r,
        detail: clipText(recordDetail(r), API_TEXT_MAX),
        duration: taskDuration(r, now),
      })),
    });
  });
  app.get("/api/queues/:queue/tasks/:id", async (c) => {
    const admin = adminOf(c);
    const id = c.req.param("id");
    const query = parse(TaskQuery, c.req.query(), "the query");
    const full = query.full === "1";
    if (query.event !== undefined) {
      const found = await admin.task(id);
      const event = found?.events[query.event];
      if (event === undefined) {
        throw new Refusal(404, `Task ${id} has no event ${query.event} in the history`);
      }
      return c.json({ id, index: query.event, event: clipEvent(event, FULL_TEXT_MAX) });
    }
    const [record, dead] = await Promise.all([
      admin.task(id).then(
        (found) => ({
          history: true,
          record: found
            ? full
              ? described(found, FULL_TEXT_MAX, FULL_EVENT_TEXT_MAX)
              : described(found, API_TEXT_MAX, API_TEXT_MAX)
            : null,
        }),
        (err) => {
          if (err instanceof MissingQueueError) return { history: false, record: null };
          throw err;
        },
      ),
      // No dead-letter queue yet (no worker ever ran): no dead letter.
      admin.listDead({ id, limit: 1 }).catch((err) => {
        if (err instanceof MissingQueueError) return { messages: [] };
        throw err;
      }),
    ]);
    return c.json({
      id,
      ...record,
      deadLetter: dead.messages[0] ? clippedLetter(dead.messages[0], full) : null,
      note: record.history
        ? "From the task history (Q.events) and the dead letters."
        : "This queue has no task history (its producers and workers ran with --no-history): only a dead letter can be found by its id.",
    });
  });
  app.get("/api/queues/:queue/workflows/:id", async (c) => {
    const admin = adminOf(c);
    const id = c.req.param("id");
    if (!isWorkflowId(id)) {
      throw new Refusal(
        400,
        `Cannot look up workflow ${
          JSON.stringify(clipText(id, 200))
        }: a workflow's id is 1 to ${MAX_WORKFLOW_ID_BYTES} bytes of printable characters, without '.' or spaces`,
      );
    }
    parse(z.object({}).strict(), c.req.query(), "the query");
    const workflow = await admin.workflow(id);
    if (workflow === undefined) {
      throw new Refusal(
        404,
        `No workflow ${id} in the history of ${admin.names.main}: none of its steps has an event there`,
      );
    }
    return c.json(workflow);
  });
  app.post("/api/queues/:queue/tasks/:id/cancel", async (c) => {
    const admin = adminOf(c);
    const id = c.req.param("id");
    const body: unknown = await c.req.json().catch(() => {
      throw new Refusal(400, "The request's body is not JSON");
    });
    const { confirm, drop } = parse(CancelBody, body, "the request");
    if (confirm !== id) {
      throw new Refusal(400, `Confirm with "confirm": "${id}", the task to cancel`);
    }
    const [report] = await admin.cancel([id], drop ? { drop } : {});
    return c.json(report);
  });

  app.notFound((c) => c.json({ error: `No such page: ${c.req.path}` }, 404));
  app.onError((err, c) => {
    const response = c.json({ error: redact(describeError(err)) }, statusOf(err));
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      response.headers.set(name, value);
    }
    return response;
  });
  return app;
}
