/**
 * Serving the dashboard: one process that reads the broker (see `state.ts`) and serves the
 * page and its API (see `api.ts`) on one address; loopback by default, and anywhere else only
 * with a token.
 *
 * @module
 */
import { Admin } from "../admin/admin.ts";
import { parseManagementUrl } from "../admin/management.ts";
import { type BrokerOptions, resolveBrokerOptions } from "../broker/options.ts";
import { DEFAULT_QUEUE } from "../broker/topology.ts";
import { redactText, redactUrl } from "../broker/urls.ts";
import { ConfigError } from "../errors/config_error.ts";
import { checkNumber } from "../util/numbers.ts";
import { dashboardApp } from "./api.ts";
import { isLoopbackHost } from "./security.ts";
import { DashboardState } from "./state.ts";
import { limitsProblem } from "../admin/flow_status.ts";

/** Options of {@linkcode serveDashboard}. */
export interface DashboardOptions extends Omit<BrokerOptions, "queue"> {
  /**
   * The work queues to show.
   * @default {["task_queue"]}
   */
  queues?: readonly string[];
  /**
   * The management API (`http://localhost:15672`), for unacked tasks, rates and workers; it
   * is asked with the AMQP URL's user and password.
   * @default {none: the numbers come from AMQP}
   */
  management?: string;
  /**
   * The address to listen on. Any address but loopback needs a `token`.
   * @default {"127.0.0.1"}
   */
  host?: string;
  /**
   * The port to listen on; 0 picks a free one.
   * @default {9465}
   */
  port?: number;
  /**
   * A token every request must carry (16 characters or more).
   * @default {none: only allowed on loopback}
   */
  token?: string;
  /**
   * How often the broker is read, in milliseconds.
   * @default {1000}
   */
  interval?: number;
  /**
   * The rate-limited tasks whose limits to show (tasks waiting for a token, tokens, workers,
   * whether one refills); the key partitions are shown whenever a queue has them.
   * @default {none}
   */
  limits?: readonly string[];
}

/** A running dashboard. */
export interface Dashboard {
  /** Its address (`http://127.0.0.1:9465/`). */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops serving and closes the connections to the broker. */
  close(): Promise<void>;
}

/** Default of {@linkcode DashboardOptions.port}. */
export const DEFAULT_DASHBOARD_PORT = 9465;

/** The smallest token accepted. */
const MIN_TOKEN_LENGTH = 16;

/** Points of history each queue keeps: 10 minutes at the default interval. */
const HISTORY_SIZE = 600;

/**
 * Serves the dashboard; see the module documentation. Rejects with a `ConfigError` for a bad
 * option (a non-loopback host without a token, say) and a `ConnectionError` when no broker
 * answers.
 *
 * @example Serve it on loopback for two queues (needs RabbitMQ on localhost)
 * ```ts ignore
 * import { serveDashboard } from "./server.ts";
 *
 * const dashboard = await serveDashboard({ queues: ["task_queue", "images"] });
 * console.log(`dashboard at ${dashboard.url}`);
 * Deno.addSignalListener("SIGTERM", () => dashboard.close());
 * ```
 */
export async function serveDashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const host = options.host ?? "127.0.0.1";
  const { token } = options;
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError(
      `Cannot serve the dashboard with a token of ${token.length} characters: give one of ${MIN_TOKEN_LENGTH} or more`,
    );
  }
  if (token === undefined && !isLoopbackHost(host)) {
    throw new ConfigError(
      `Cannot serve the dashboard on ${host} without a token: anyone who reaches it could replay and purge tasks. Give a token (--token or WARREN_DASHBOARD_TOKEN), or listen on 127.0.0.1`,
    );
  }
  const port = checkNumber(
    options.port ?? DEFAULT_DASHBOARD_PORT,
    "port",
    "serve the dashboard",
    { min: 0, max: 65_535 },
  );
  const interval = checkNumber(options.interval ?? 1_000, "interval", "serve the dashboard", {
    min: 100,
  });
  const queues = options.queues ?? [DEFAULT_QUEUE];
  if (queues.length === 0) throw new ConfigError("Cannot serve the dashboard of no queue");
  const problem = limitsProblem(options.limits ?? [], queues);
  if (problem !== undefined) {
    throw new ConfigError(`Cannot serve the dashboard as 'limits' ${problem}`);
  }
  const management = options.management === undefined
    ? undefined
    : parseManagementUrl(options.management, "the 'management' option");
  const broker = resolveBrokerOptions({ ...options, queue: queues[0]! });
  const secrets = [...broker.urls, ...(management ? [management] : [])];
  const redact = (text: string) => redactText(text, secrets);

  const admins = new Map<string, Admin>();
  const streams = new Set<() => void>();
  let state: DashboardState | undefined;
  let server: Deno.HttpServer<Deno.NetAddr> | undefined;
  const close = async () => {
    for (const abort of streams) abort();
    await server?.shutdown();
    await state?.close();
    await Promise.all([...admins.values()].map((admin) => admin.close()));
  };
  try {
    for (const queue of queues) {
      admins.set(
        queue,
        await Admin.connect({
          url: broker.urls,
          queue,
          queueType: broker.queueType,
          logger: broker.logger,
          reconnect: true,
        }),
      );
    }
    state = new DashboardState({
      admins,
      ...(management ? { management: { url: management, amqpUrl: broker.urls[0]! } } : {}),
      interval,
      historySize: HISTORY_SIZE,
      redact,
      from: broker.urls.map(redactUrl).join(", "),
      ...(options.limits ? { limits: options.limits } : {}),
    });
    await state.start();
    let listening = port;
    const app = dashboardApp({
      state,
      access: { token, host, port: () => listening },
      redact,
      onStream: (abort) => {
        streams.add(abort);
        return () => streams.delete(abort);
      },
    });
    server = Deno.serve({ hostname: host, port, onListen() {} }, app.fetch);
    listening = server.addr.port;
    const shown = host.includes(":") ? `[${host}]` : host;
    return { url: `http://${shown}:${listening}/`, port: listening, close };
  } catch (err) {
    await close();
    throw err;
  }
}
