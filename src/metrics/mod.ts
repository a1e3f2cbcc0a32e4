/**
 * Prometheus metrics of a worker: {@linkcode WorkerMetrics} counts its task events, and
 * {@linkcode serveMetrics} serves them at `/metrics` with a health check at `/healthz`.
 *
 * @example Count a worker's events and serve them
 * ```ts ignore
 * import { Worker } from "../../mod.ts";
 * import { handlers } from "../../tasks/handlers/mod.ts";
 * import { serveMetrics, WorkerMetrics } from "./mod.ts";
 *
 * const metrics = new WorkerMetrics();
 * const worker = await Worker.start(handlers, { onEvent: (event) => metrics.record(event) });
 * serveMetrics(metrics, () => worker, { port: 9464 });
 * ```
 *
 * @module
 */
export { type WorkerGauges, WorkerMetrics } from "./worker_metrics.ts";
export type { LimitReading } from "../flow/refiller.ts";
export { type MetricsServerOptions, serveMetrics } from "./server.ts";
