/**
 * An HTTP endpoint for a worker: `/metrics` in Prometheus' text format and `/healthz`, which
 * answers 200 while the worker is connected and consuming and 503 otherwise.
 *
 * @module
 */
import type { WorkerGauges, WorkerMetrics } from "./worker_metrics.ts";

/** Options of {@linkcode serveMetrics}. */
export interface MetricsServerOptions {
  /** The port; 0 picks a free one. */
  port: number;
  /**
   * The address to listen on.
   * @default {"127.0.0.1"}
   */
  hostname?: string;
}

/** Serves `/metrics` and `/healthz` until the returned server is shut down. */
export function serveMetrics(
  metrics: WorkerMetrics,
  gauges: () => WorkerGauges,
  options: MetricsServerOptions,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    port: options.port,
    hostname: options.hostname ?? "127.0.0.1",
    onListen: () => {},
  }, (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/metrics") {
      return new Response(metrics.render(gauges()), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    if (pathname === "/healthz") {
      const { consuming } = gauges();
      return new Response(consuming ? "ok\n" : "not consuming\n", {
        status: consuming ? 200 : 503,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    return new Response("not found: try /metrics or /healthz\n", { status: 404 });
  });
}
