/**
 * `admin.ts dashboard` as a subprocess, for the dashboard's tests: started on a free loopback
 * port, awaited until it serves, stopped with SIGTERM.
 *
 * @module
 */
import { rootPath } from "./cli.ts";
import { freePort } from "./ports.ts";

/** A running `admin.ts dashboard`. */
export interface DashboardProcess extends AsyncDisposable {
  /** Its address, `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** Its port. */
  readonly port: number;
  /** Its OS process id. */
  readonly pid: number;
  /** Stops it with SIGTERM; its exit code and standard error. */
  stop(): Promise<{ code: number; stderr: string }>;
}

/** Options of {@linkcode startDashboard}. */
export interface DashboardProcessOptions {
  /** The broker's host:port, for --allow-net (default localhost:5672). */
  readonly broker?: string;
  /** More host:port entries for --allow-net (a management API). */
  readonly net?: readonly string[];
  /** Environment variables. */
  readonly env?: Record<string, string>;
}

/** Starts `admin.ts dashboard` with `args` (and `--port`); resolves once it serves. */
export async function startDashboard(
  args: readonly string[],
  options: DashboardProcessOptions = {},
): Promise<DashboardProcess> {
  const port = freePort();
  const net = [options.broker ?? "localhost:5672", `127.0.0.1:${port}`, ...(options.net ?? [])];
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--allow-net=${net.join(",")}`,
      "--allow-env=AMQP_URL,WARREN_QUEUE,WARREN_MANAGEMENT_URL,WARREN_DASHBOARD_TOKEN",
      rootPath("admin.ts"),
      "dashboard",
      "--port",
      String(port),
      ...args,
    ],
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const decoded = child.stdout.pipeThrough(new TextDecoderStream());
  const reader = decoded.getReader();
  let out = "";
  while (!/ at (http:\S+)/.test(out)) {
    const { value, done } = await reader.read();
    if (done) {
      const status = await child.status;
      throw new Error(`admin.ts dashboard exited with ${status.code}: ${await stderr}`);
    }
    out += value;
  }
  reader.releaseLock();
  const drained = decoded.pipeTo(new WritableStream()).catch(() => {});
  const url = / at (http:\S+)/.exec(out)![1]!;
  let stopped: Promise<{ code: number; stderr: string }> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const status = await child.status;
      await drained;
      return { code: status.code, stderr: await stderr };
    })();
  return { url, port, pid: child.pid, stop, [Symbol.asyncDispose]: async () => void await stop() };
}
