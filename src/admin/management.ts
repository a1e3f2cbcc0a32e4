/**
 * Reading a work queue's state from RabbitMQ's management HTTP API (the `rabbitmq_management`
 * plugin): ready and unacknowledged messages, consumers, and publish and deliver rates, for the
 * main queue, the dead-letter queue and every delay queue (the delay levels, and any delay
 * queue of Warren 0.1), found by name.
 *
 * The login and the virtual host are those of the AMQP URL, unless the management URL carries
 * its own `user:password@`.
 *
 * @module
 */
import type { QueueNames } from "../broker/topology.ts";
import { DEFAULT_URL, redactUrl } from "../broker/urls.ts";
import { z } from "../deps/zod.ts";
import { ConfigError } from "../errors/config_error.ts";
import { ConnectionError } from "../errors/connection_error.ts";
import { describeError } from "../errors/describe.ts";
import { PermissionError } from "../errors/permission_error.ts";
import { permissionAdvice } from "../util/permissions.ts";
import {
  delayedCount,
  missingQueue,
  queueRole,
  type QueueStatus,
  retryQueuesNote,
  sortQueues,
  type StatusReport,
} from "./status.ts";

/** The management API answered with an error status, or with something that is not its JSON. */
export class ManagementError extends Error {
  /** The HTTP status, or 0 when the answer could not be read. */
  readonly status: number;

  /** Creates an error for an answer of HTTP status `status`. */
  constructor(status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ManagementError";
    this.status = status;
  }
}

/** Options of {@linkcode managementStatus}. */
export interface ManagementOptions {
  /** Base URL of the management API, e.g. `http://localhost:15672` (a path prefix is kept). */
  url: string;
  /**
   * The AMQP URL whose user, password and virtual host are used.
   * @default {"amqp://localhost:5672"}
   */
  amqpUrl?: string;
  /**
   * Time limit of each HTTP request, in milliseconds.
   * @default {10000}
   */
  timeout?: number;
  /**
   * The `fetch` to use (for tests).
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
}

/** The host and port of an HTTP(S) URL, as `--allow-net` names them. */
export function httpHostPort(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === "https:" ? "443" : "80");
  return `${parsed.hostname}:${port}`;
}

/** Checks a management URL given as text; `source` names the flag or variable in errors. */
export function parseManagementUrl(value: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(
      `Cannot use ${source} '${redactUrl(value)}' as it is not a URL: give http://HOST:15672`,
    );
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ConfigError(
      `Cannot use ${source} '${
        redactUrl(value)
      }' as the management API is HTTP: give http://HOST:15672`,
    );
  }
  return value;
}

/** The virtual host that an AMQP URL names (`/` when its path is empty). */
export function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname;
  return path === "" || path === "/" ? "/" : decodeURIComponent(path.slice(1));
}

function basicAuth(managementUrl: URL, amqpUrl: URL): string {
  const from = managementUrl.username ? managementUrl : amqpUrl;
  const user = from.username ? decodeURIComponent(from.username) : "guest";
  const password = from.username ? decodeURIComponent(from.password) : "guest";
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}

const escapeRegex = (text: string) => text.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");

const COLUMNS = [
  "name",
  "messages_ready",
  "messages_unacknowledged",
  "consumers",
  "message_stats.publish_details.rate",
  "message_stats.deliver_get_details.rate",
  "arguments",
].join(",");

const Rate = z.object({ rate: z.number() }).partial().optional().catch(undefined);
const Count = z.number().optional().catch(undefined);
const QueueItem = z.object({
  name: z.string(),
  messages_ready: Count,
  messages_unacknowledged: Count,
  consumers: Count,
  message_stats: z.object({ publish_details: Rate, deliver_get_details: Rate }).optional()
    .catch(undefined),
  // Only a stream's retention is read of the arguments; anything else in them is ignored.
  arguments: z.object({
    "x-max-age": z.string().max(64).optional().catch(undefined),
    "x-max-length-bytes": z.number().optional().catch(undefined),
  }).optional().catch(undefined),
});
const Page = z.union([
  z.object({ items: z.array(z.unknown()), page_count: z.number() }),
  z.array(z.unknown()), // a broker that ignores pagination lists every queue
]);

/**
 * The items of a list answered by the management API that `schema` reads, one by one: an item
 * of another shape is left out (and counted), so that one odd entry does not hide the others.
 * Throws what `unexpected` makes when the answer is not a list.
 */
export function tolerantItems<T>(
  schema: z.ZodType<T>,
  answer: unknown,
  path: string,
  unexpected: (path: string, message: string) => Error,
): { readonly items: T[]; readonly skipped: number } {
  if (!Array.isArray(answer)) throw unexpected(path, "not a list");
  const items: T[] = [];
  let skipped = 0;
  for (const item of answer) {
    const parsed = schema.safeParse(item);
    if (parsed.success) items.push(parsed.data);
    else skipped++;
  }
  return { items, skipped };
}
type QueueItem = z.output<typeof QueueItem>;

async function getJson(
  url: URL,
  auth: string,
  options: ManagementOptions,
  shown: string,
): Promise<unknown> {
  const fetcher = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetcher(url, {
      headers: { authorization: auth, accept: "application/json" },
      signal: AbortSignal.timeout(options.timeout ?? 10_000),
    });
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) {
      throw new PermissionError(
        `Deno denied network access to ${httpHostPort(url.href)}: ${
          permissionAdvice(`--allow-net=${httpHostPort(url.href)}`)
        } (beside the broker's host:port)`,
        { cause: err },
      );
    }
    throw new ConnectionError(
      `Cannot reach the management API at ${shown}: ${
        describeError(err)
      }: is the rabbitmq_management plugin enabled and listening there?`,
      { cause: err },
    );
  }
  const text = await response.text();
  if (response.status === 401) {
    throw new ManagementError(
      401,
      `The management API at ${shown} refused the login (401): check the user and password of the AMQP URL, or put them in the management URL`,
    );
  }
  if (!response.ok) {
    const detail = text.slice(0, 200).trim();
    throw new ManagementError(
      response.status,
      `The management API at ${shown} answered ${response.status} ${response.statusText} for ${url.pathname}${
        detail ? `: ${detail}` : ""
      }`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ManagementError(
      0,
      `The management API at ${shown} answered with something that is not JSON: is ${shown} the management API?`,
      { cause: err },
    );
  }
}

function toRow(names: QueueNames, item: QueueItem): QueueStatus | undefined {
  const role = queueRole(names, item.name);
  if (role === undefined) return undefined;
  // The API leaves the numbers out until it has collected them once for a new queue.
  const known = item.messages_ready !== undefined;
  const rate = (value: number | undefined) => value ?? (known ? 0 : null);
  return {
    name: item.name,
    ...role,
    exists: true,
    ready: item.messages_ready ?? null,
    unacked: item.messages_unacknowledged ?? null,
    consumers: item.consumers ?? null,
    publishRate: rate(item.message_stats?.publish_details?.rate),
    deliverRate: rate(item.message_stats?.deliver_get_details?.rate),
    ...(role.role === "events" || role.role === "control"
      ? {
        retention: {
          maxAge: item.arguments?.["x-max-age"] ?? null,
          maxBytes: item.arguments?.["x-max-length-bytes"] ?? null,
        },
      }
      : {}),
  };
}

/** Where requests to the management API go, with what login, and how the API is named in errors. */
function managementTarget(options: ManagementOptions): {
  root: string;
  auth: string;
  shown: string;
  vhost: string;
} {
  const base = new URL(parseManagementUrl(options.url, "the management URL"));
  const amqpUrl = new URL(options.amqpUrl ?? DEFAULT_URL);
  const auth = basicAuth(base, amqpUrl);
  const shown = redactUrl(base.href);
  base.username = "";
  base.password = "";
  const root = base.href.endsWith("/") ? base.href : `${base.href}/`;
  return { root, auth, shown, vhost: vhostOf(amqpUrl.href) };
}

/**
 * GETs `api/<path>` from the management API as JSON, `{vhost}` in `path` standing for the AMQP
 * URL's virtual host, with the login of `options` (the AMQP URL's user and password, unless the
 * management URL has its own). Throws as {@linkcode managementStatus} does.
 */
export function managementGet(
  options: ManagementOptions,
  path: string,
  search: Readonly<Record<string, string>> = {},
): Promise<unknown> {
  const { root, auth, shown, vhost } = managementTarget(options);
  const url = new URL(`api/${path.replace("{vhost}", encodeURIComponent(vhost))}`, root);
  url.search = new URLSearchParams(search).toString();
  return getJson(url, auth, options, shown);
}

/**
 * Reads the state of the queues of `names` from the management API: one paginated request
 * (`GET /api/queues/<vhost>?name=<regex>&use_regex=true`) for the main queue, the dead-letter
 * queue, every delay queue and the streams `Q.events` and `Q.control`. Throws a {@linkcode ConnectionError} when the API cannot be
 * reached and a {@linkcode ManagementError} when it refuses.
 */
export async function managementStatus(
  names: QueueNames,
  options: ManagementOptions,
): Promise<StatusReport> {
  const { shown } = managementTarget(options);
  const pattern = `^${
    escapeRegex(names.main)
  }(\\.dead|\\.events|\\.control|\\.wait\\.[0-9]+|\\.delay\\.[0-9]+|\\.retry\\.[0-9]+)?$`;
  const at = new Date().toISOString();
  const items: QueueItem[] = [];
  let skipped = 0;
  const unexpectedShape = (path: string, message: string) =>
    new ManagementError(
      0,
      `The management API at ${shown} answered ${path} with JSON of an unexpected shape: ${message}`,
    );
  for (let page = 1, pages = 1; page <= pages; page++) {
    const parsed = Page.safeParse(
      await managementGet(options, "queues/{vhost}", {
        page: String(page),
        page_size: "500",
        name: pattern,
        use_regex: "true",
        columns: COLUMNS,
      }),
    );
    if (!parsed.success) {
      throw new ManagementError(
        0,
        `The management API at ${shown} answered with JSON of an unexpected shape: ${parsed.error.message}`,
      );
    }
    const list = Array.isArray(parsed.data) ? parsed.data : parsed.data.items;
    const read = tolerantItems(QueueItem, list, "/api/queues", unexpectedShape);
    items.push(...read.items);
    skipped += read.skipped;
    if (Array.isArray(parsed.data)) break;
    pages = parsed.data.page_count;
  }
  const rows = items.flatMap((item) => toRow(names, item) ?? []);
  for (const [name, role] of [[names.main, "main"], [names.dead, "dead"]] as const) {
    if (!rows.some((row) => row.name === name)) rows.push(missingQueue(name, role));
  }
  const pending = rows.filter((row) => row.exists && row.ready === null).map((row) => row.name);
  return {
    queue: names.main,
    source: "management",
    from: shown,
    at,
    queues: sortQueues(rows),
    delayed: delayedCount(rows),
    notes: [
      "the management API refreshes its numbers every few seconds (collect_statistics_interval, 5 s by default)",
      ...(pending.length > 0
        ? [`no numbers collected yet for ${pending.join(", ")}: ask again in a few seconds`]
        : []),
      ...(rows.some((row) => row.role === "retry") ? [retryQueuesNote(names)] : []),
      ...(skipped > 0
        ? [`${skipped} queue(s) of the answer had an unexpected shape and are left out`]
        : []),
    ],
  };
}
