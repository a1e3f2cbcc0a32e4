/**
 * The dashboard: a web page to watch Warren's work queues (numbers, charts, workers) and act
 * on them (dead letters, replay, purge, schedules), served with its JSON API from one process
 * by {@linkcode serveDashboard} (`admin.ts dashboard` on the command line). Everything the page
 * loads is served by Warren itself.
 *
 * @example Serve it (needs RabbitMQ on localhost)
 * ```ts ignore
 * import { serveDashboard } from "./mod.ts";
 *
 * const dashboard = await serveDashboard({ queues: ["task_queue"], port: 9465 });
 * console.log(`open ${dashboard.url}`);
 * ```
 *
 * @example Off loopback, a token is required
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { ConfigError } from "../../mod.ts";
 * import { serveDashboard } from "./mod.ts";
 *
 * await assertRejects(() => serveDashboard({ host: "0.0.0.0" }), ConfigError, "without a token");
 * ```
 *
 * @module
 */
export {
  type Dashboard,
  type DashboardOptions,
  DEFAULT_DASHBOARD_PORT,
  serveDashboard,
} from "./server.ts";
export { CONTENT_SECURITY_POLICY, isLoopbackHost } from "./security.ts";
export type { HistoryPoint, QueueSummary, Snapshot } from "./snapshot.ts";
export type { ConsumerInfo } from "../admin/consumers.ts";
