/**
 * Test helper that starts PRIVATE RabbitMQ nodes (and clusters of them) for fault tests: nodes
 * that a test may stop, crash, restart and delete without touching the shared broker
 * (`rabbit@localhost` on 127.0.0.1:5672).
 *
 * Each node gets its own folder (under `Deno.makeTempDir({ prefix: "warren-rabbit-" })`), its own
 * node name, AMQP port and Erlang distribution port, and its OWN config files, so nothing of the
 * shared broker's `/etc/rabbitmq` is used:
 *
 * - `rabbitmq.conf` (`RABBITMQ_CONFIG_FILE`): the system file `/etc/rabbitmq/rabbitmq.conf` says
 *   `listeners.tcp.local = 127.0.0.1:5672`; a node that read it would try to bind the shared
 *   broker's port and die with `eaddrinuse`, whatever `RABBITMQ_NODE_PORT` says.
 * - `rabbitmq-env.conf` (`RABBITMQ_CONF_ENV_FILE`): the system one sets `NODENAME=rabbit@localhost`;
 *   ours only keeps Erlang distribution and epmd on loopback.
 * - `enabled_plugins` (`RABBITMQ_ENABLED_PLUGINS_FILE`) holding `[].` (or the `plugins` option),
 *   so no plugin (and no plugin port such as management's 15672) is started even if the shared
 *   node enables some; a test that enables one gives its port in the `config` option.
 * - `RABBITMQ_ADVANCED_CONFIG_FILE` points to the node's own `advanced.config`, which exists only
 *   when the `advancedConfig` option gives its text.
 *
 * Processes: the node is started with `/usr/lib/rabbitmq/bin/rabbitmq-server` (the real script,
 * not the Debian wrapper `/usr/sbin/rabbitmq-server`, which `su`s, runs through `sh -c` with only
 * `"` escaped, and as the rabbitmq user sends output to the shared `/var/log/rabbitmq/startup_log`).
 * When the test runs as root, the node and every `rabbitmqctl` run directly as the `rabbitmq`
 * user (`Deno.Command`'s `uid`/`gid`) with `HOME=/var/lib/rabbitmq`, so they all use the cookie in
 * `/var/lib/rabbitmq/.erlang.cookie` (the shared broker's cookie too): nodes started this way can
 * be clustered and controlled. The script keeps a small `sh` parent around the Erlang VM, so the
 * VM's OS pid is taken from `RABBITMQ_PID_FILE`.
 *
 * No global registry is kept: if the test process is killed (SIGKILL; on SIGINT the script's `sh`
 * stops its VM), a node may stay behind. `epmd -names` lists it (name = prefix + random part),
 * `rabbitmqctl -n <name>@localhost shutdown` stops it, and its folder is `$TMPDIR/warren-rabbit-*`.
 *
 * @module
 */

/** A private RabbitMQ node started by {@linkcode startRabbitNode}. */
export interface RabbitNode {
  /** Full node name, e.g. `"warren-test-ab12cd34@localhost"`. */
  readonly name: string;
  /** AMQP port on 127.0.0.1. */
  readonly port: number;
  /** `"amqp://guest:guest@127.0.0.1:<port>"` (guest may only connect from loopback: fine). */
  readonly url: string;
  /** Starts the node (again) on the same data dir and ports; resolves when it accepts AMQP connections. */
  start(): Promise<void>;
  /**
   * Stops the node gracefully (`rabbitmqctl shutdown`: `stop` that finds the pid itself);
   * resolves when the process is gone and the port is closed.
   */
  stop(): Promise<void>;
  /** Kills the node's OS process with SIGKILL (a crash); resolves when gone. */
  kill(): Promise<void>;
  /** Runs `rabbitmqctl -n <name> ...args` and returns stdout; throws with stderr on failure. */
  ctl(...args: string[]): Promise<string>;
  /** Stops the node if running and deletes its folder. Idempotent. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@linkcode startRabbitNode} and {@linkcode startRabbitCluster}. */
export interface StartRabbitNodeOptions {
  /** Prefix of the node name. @default "warren-test" */
  prefix?: string;
  /**
   * Plugins to enable, e.g. `["rabbitmq_management"]` (written to the node's own
   * `enabled_plugins`). A plugin that listens on a port needs that port in `config`.
   * @default []
   */
  plugins?: readonly string[];
  /**
   * Extra `rabbitmq.conf` lines, e.g. `["management.tcp.port = 15999"]`.
   * @default []
   */
  config?: readonly string[];
  /**
   * The text of the node's `advanced.config` (Erlang terms), for settings that `rabbitmq.conf`
   * has no key for, e.g. `compose/advanced.config`'s.
   * @default none
   */
  advancedConfig?: string;
}

/** Where the real (non-wrapper) RabbitMQ scripts may live; the first holding `rabbitmq-env` wins. */
const SCRIPT_DIRS = [
  "/usr/lib/rabbitmq/bin",
  "/usr/lib/rabbitmq/sbin",
  "/usr/local/lib/rabbitmq/sbin",
  "/opt/rabbitmq/sbin",
  "/usr/sbin",
  "/usr/local/sbin",
];
const RABBITMQ_HOME_DIR = "/var/lib/rabbitmq";
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Boot budget: one node boots in ~5-7 s on 2 cores (CPU-bound), three at once in ~12 s. */
const START_TIMEOUT_MS = 120_000;
/** Budget of a graceful `rabbitmqctl shutdown` (~2.5 s) before falling back to signals. */
const STOP_TIMEOUT_MS = 60_000;
/** Budget of an ordinary `rabbitmqctl` command. */
const CTL_TIMEOUT_MS = 60_000;
/** Budget for the OS process to go away after SIGKILL / SIGTERM. */
const EXIT_TIMEOUT_MS = 30_000;

/**
 * Ports `rabbitmqctl` (and the other CLI tools) bind for their own Erlang distribution:
 * `RABBITMQ_CTL_DIST_PORT_MIN..MAX`, which the `rabbitmq-env` script of 3.10 sets to the FIXED
 * range 35672..35682 (it does not follow the node's dist port). A node must not sit there, or
 * CLI runs lose ports (and a node could fail to bind one a CLI holds).
 */
const CLI_DIST_PORTS = { min: 35672, max: 35682 } as const;

/** Lines of each log quoted in a start error. */
const LOG_TAIL_LINES = 30;

const decoder = new TextDecoder();

/** True when rabbitmq-server is installed (so tests can print a reason and skip otherwise). */
export async function rabbitmqInstalled(): Promise<boolean> {
  return (await findScriptDir()) !== undefined;
}

/**
 * Starts a private RabbitMQ node on fresh ports and a fresh folder; resolves when it accepts
 * AMQP connections. Dispose it (`await using node = await startRabbitNode()`) to stop it and
 * delete its folder.
 */
export async function startRabbitNode(options: StartRabbitNodeOptions = {}): Promise<RabbitNode> {
  const prefix = options.prefix ?? "warren-test";
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) {
    throw new Error(`startRabbitNode: prefix ${JSON.stringify(prefix)} must match [A-Za-z0-9_-]+`);
  }
  const scriptDir = await findScriptDir();
  if (scriptDir === undefined) {
    throw new Error(`startRabbitNode: rabbitmq-server not found in ${SCRIPT_DIRS.join(", ")}`);
  }
  const owner = await nodeOwner();
  const dir = await Deno.makeTempDir({ prefix: "warren-rabbit-" });
  const random = Array.from(crypto.getRandomValues(new Uint8Array(4)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const node = new PrivateRabbitNode({
    name: `${prefix}-${random}@localhost`,
    dir,
    scriptDir,
    owner,
    ports: pickPorts(),
    plugins: options.plugins ?? [],
    config: options.config ?? [],
    advancedConfig: options.advancedConfig,
  });
  try {
    await node.prepare();
    // A port is only free until someone else binds it (another test picking ports, an outgoing
    // connection getting it as its ephemeral port): on `eaddrinuse` retry with new ports.
    for (let attempt = 1;; attempt++) {
      try {
        await node.start();
        break;
      } catch (err) {
        if (attempt >= 3 || !(err instanceof PortInUseError)) throw err;
        await node.setPorts(pickPorts());
      }
    }
  } catch (err) {
    await node[Symbol.asyncDispose]().catch(() => {});
    throw err;
  }
  return node;
}

/**
 * Starts `size` private nodes and joins them into one cluster (stop_app, reset,
 * join_cluster <first>, start_app); resolves when `cluster_status` of the first shows all
 * running. Dispose the returned array to dispose every node.
 */
export async function startRabbitCluster(
  size: number,
  options: StartRabbitNodeOptions = {},
): Promise<RabbitNode[] & AsyncDisposable> {
  if (!Number.isInteger(size) || size < 1) {
    throw new Error(`startRabbitCluster: size must be a positive integer, got ${size}`);
  }
  const started = await Promise.allSettled(
    Array.from({ length: size }, () => startRabbitNode(options)),
  );
  const nodes = started.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
  const cluster = Object.assign(nodes, {
    async [Symbol.asyncDispose](): Promise<void> {
      await Promise.all(nodes.map((n) => n[Symbol.asyncDispose]()));
    },
  });
  try {
    const failed = started.find((r) => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    const [first, ...others] = nodes;
    if (first === undefined) throw new Error("startRabbitCluster: no node started");
    // Nodes boot in parallel above (3 nodes: ~12 s, one after another: ~18 s). Stopping the app
    // and resetting are independent per node: also at once. Joins go one at a time, as each
    // changes the cluster's Mnesia schema. The whole join phase takes ~5 s for 3 nodes.
    await Promise.all(others.map(async (n) => {
      await n.ctl("stop_app");
      await n.ctl("reset");
    }));
    for (const n of others) await n.ctl("join_cluster", first.name);
    await Promise.all(others.map((n) => n.ctl("start_app")));
    await waitForClusterRunning(first, nodes.map((n) => n.name));
    // start_app returns once the app has booted; make sure AMQP is accepted everywhere.
    await Promise.all(nodes.map((n) => waitForPort(n.port, Date.now() + START_TIMEOUT_MS)));
  } catch (err) {
    await cluster[Symbol.asyncDispose]().catch(() => {});
    throw err;
  }
  return cluster;
}

/** User the node processes run as. */
interface Owner {
  /** uid/gid to switch to (root test process) or undefined (run as ourselves). */
  readonly ids: { readonly uid: number; readonly gid: number } | undefined;
  /** HOME for node and CLI: where the shared Erlang cookie lives. */
  readonly home: string;
}

interface Ports {
  readonly amqp: number;
  readonly dist: number;
}

interface NodeConfig {
  readonly name: string;
  readonly dir: string;
  readonly scriptDir: string;
  readonly owner: Owner;
  readonly ports: Ports;
  readonly plugins: readonly string[];
  readonly config: readonly string[];
  readonly advancedConfig: string | undefined;
}

/** A running node process: the `sh` parent the script keeps around the Erlang VM. */
interface Running {
  readonly child: Deno.ChildProcess;
  readonly exited: Promise<Deno.CommandStatus>;
  done: boolean;
}

/** The node failed to boot because a port was taken meanwhile. */
class PortInUseError extends Error {
  override name = "PortInUseError";
}

class PrivateRabbitNode implements RabbitNode {
  readonly name: string;
  readonly #dir: string;
  readonly #scriptDir: string;
  readonly #owner: Owner;
  readonly #plugins: readonly string[];
  readonly #config: readonly string[];
  readonly #advancedConfig: string | undefined;
  #ports: Ports;
  #running: Running | undefined;
  #disposed = false;
  /** Serializes start/stop/kill/dispose so concurrent calls do not interleave. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(config: NodeConfig) {
    this.name = config.name;
    this.#dir = config.dir;
    this.#scriptDir = config.scriptDir;
    this.#owner = config.owner;
    this.#ports = config.ports;
    this.#plugins = config.plugins;
    this.#config = config.config;
    this.#advancedConfig = config.advancedConfig;
  }

  get port(): number {
    return this.#ports.amqp;
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.#ports.amqp}`;
  }

  get #pidFile(): string {
    return `${this.#dir}/rabbitmq.pid`;
  }

  get #consoleLog(): string {
    return `${this.#dir}/console.log`;
  }

  get #nodeLog(): string {
    return `${this.#dir}/log/${this.name}.log`;
  }

  get #envConf(): string {
    return `${this.#dir}/rabbitmq-env.conf`;
  }

  /** Writes the node's private config files and hands the folder to the node's user. */
  async prepare(): Promise<void> {
    await assertTraversable(this.#dir);
    await Deno.mkdir(`${this.#dir}/mnesia`);
    await Deno.mkdir(`${this.#dir}/log`);
    await Deno.writeTextFile(`${this.#dir}/enabled_plugins`, `[${this.#plugins.join(",")}].\n`);
    if (this.#advancedConfig !== undefined) {
      await Deno.writeTextFile(`${this.#dir}/advanced.config`, this.#advancedConfig);
    }
    await Deno.writeTextFile(
      this.#envConf,
      // Same loopback-only distribution as the shared broker, but no NODENAME.
      'ERL_EPMD_ADDRESS=127.0.0.1\nexport ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"\n',
    );
    await this.#writeConfig();
    const ids = this.#owner.ids;
    if (ids !== undefined) {
      for await (const entry of Deno.readDir(this.#dir)) {
        await Deno.chown(`${this.#dir}/${entry.name}`, ids.uid, ids.gid);
      }
      await Deno.chown(this.#dir, ids.uid, ids.gid);
    }
  }

  /** Changes the ports before the first successful start. */
  async setPorts(ports: Ports): Promise<void> {
    this.#ports = ports;
    await this.#writeConfig();
  }

  async #writeConfig(): Promise<void> {
    const path = `${this.#dir}/rabbitmq.conf`;
    await Deno.writeTextFile(
      path,
      [
        `listeners.tcp.1 = 127.0.0.1:${this.#ports.amqp}`,
        "loopback_users.guest = true",
        "log.console = false",
        "log.file.level = info",
        ...this.#config,
        "",
      ].join("\n"),
    );
    const ids = this.#owner.ids;
    if (ids !== undefined) await Deno.chown(path, ids.uid, ids.gid);
  }

  start(): Promise<void> {
    return this.#serial(() => this.#start());
  }

  stop(): Promise<void> {
    return this.#serial(() => this.#stop());
  }

  kill(): Promise<void> {
    return this.#serial(() => this.#kill());
  }

  async ctl(...args: string[]): Promise<string> {
    return await this.#ctl(args, CTL_TIMEOUT_MS);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#serial(async () => {
      if (this.#disposed) return;
      this.#disposed = true;
      try {
        if (this.#running !== undefined && !this.#running.done) {
          try {
            await this.#stop();
          } catch {
            await this.#kill();
          }
        }
      } finally {
        await Deno.remove(this.#dir, { recursive: true }).catch((err) => {
          if (!(err instanceof Deno.errors.NotFound)) throw err;
        });
      }
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(fn);
    this.#queue = result.catch(() => {});
    return result;
  }

  async #start(): Promise<void> {
    if (this.#disposed) throw new Error(`${this.name}: node was disposed`);
    if (this.#running !== undefined && !this.#running.done) return;
    const deadline = Date.now() + START_TIMEOUT_MS;
    // A VM of this name that we do not track (left over from a killed test process) would
    // answer for us and make the new one fail: refuse.
    if (await epmdHas(this.name)) {
      throw new Error(`${this.name}: a node of this name is already running (left over?)`);
    }
    await removeIfExists(this.#pidFile);
    // Both logs are appended to by every boot: only this boot's part tells why it failed.
    const logStart = await Promise.all([fileSize(this.#consoleLog), fileSize(this.#nodeLog)]);
    const child = new Deno.Command("/bin/sh", {
      // The script's output goes to a file: nobody has to drain a pipe, and a failed boot
      // (which the node log may not show) can be quoted in the error.
      args: [
        "-c",
        'exec "$1" >>"$2" 2>&1',
        "sh",
        `${this.#scriptDir}/rabbitmq-server`,
        this.#consoleLog,
      ],
      cwd: this.#dir,
      clearEnv: true,
      env: this.#env({
        RABBITMQ_NODENAME: this.name,
        RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
        RABBITMQ_NODE_PORT: String(this.#ports.amqp),
        // Set explicitly: the default (AMQP port + 20000) overflows 65535 for ports above 45535.
        RABBITMQ_DIST_PORT: String(this.#ports.dist),
        RABBITMQ_MNESIA_BASE: `${this.#dir}/mnesia`,
        RABBITMQ_LOG_BASE: `${this.#dir}/log`,
        RABBITMQ_PID_FILE: this.#pidFile,
        RABBITMQ_ENABLED_PLUGINS_FILE: `${this.#dir}/enabled_plugins`,
        RABBITMQ_CONFIG_FILE: `${this.#dir}/rabbitmq.conf`,
        RABBITMQ_ADVANCED_CONFIG_FILE: `${this.#dir}/advanced.config`,
        // No multi-MB erl_crash.dump when a boot fails.
        ERL_CRASH_DUMP_SECONDS: "0",
      }),
      stdin: "null",
      stdout: "null",
      stderr: "null",
      ...this.#owner.ids,
    }).spawn();
    const running: Running = {
      child,
      exited: child.status.then((status) => {
        running.done = true;
        return status;
      }),
      done: false,
    };
    this.#running = running;
    try {
      await this.#awaitBoot(running, deadline, logStart[0] ?? 0);
    } catch (err) {
      await this.#kill().catch(() => {});
      const logs = await this.#logsSince(logStart);
      if (/eaddrinuse/i.test(logs.all)) {
        throw new PortInUseError(
          `${this.name}: port ${this.#ports.amqp} or ${this.#ports.dist} is in use\n${logs.tail}`,
        );
      }
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`${this.name} did not start: ${message}\n${logs.tail}`, { cause: err });
    }
  }

  /**
   * Resolves when the node has booted and accepts AMQP connections; rejects if it exits or
   * reports BOOT FAILED (`consoleFrom`: this boot's offset in the console log).
   */
  async #awaitBoot(running: Running, deadline: number, consoleFrom: number): Promise<void> {
    // Whichever outcome comes first, the other sides' polling must stop.
    const abort = new AbortController();
    const died = running.exited.then((status) => {
      throw new Error(`the node exited during boot (code ${status.code})`);
    });
    died.catch(() => {}); // Rejects later (at every stop) when boot wins; nobody listens then.
    const boot = (async () => {
      // 1. The VM registers its name with epmd as soon as distribution is up (~1-3 s). Polling
      //    epmd is one tiny TCP exchange; polling with rabbitmqctl instead would cost ~0.5 s of
      //    CPU per try on a machine that is busy booting the node (await_startup fails at once
      //    with "nodedown" until the node is reachable).
      await pollUntil(
        deadline,
        () => epmdHas(this.name),
        () => "the node to register with epmd",
        abort.signal,
      );
      // 2. `await_startup` blocks until the rabbit application has booted (or failed).
      const seconds = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      await this.#ctl(
        ["await_startup", "--timeout", String(seconds)],
        deadline - Date.now(),
        abort.signal,
      );
      // 3. The AMQP listener opens before boot completes, but make sure.
      await waitForPort(this.#ports.amqp, deadline, abort.signal);
    })();
    // A failed boot does not always end the VM soon: a restart on existing data whose port was
    // taken logged BOOT FAILED and then hung ~30 s before exiting (await_startup as long).
    const failed = (async () => {
      await pollUntil(
        deadline,
        async () => (await readFrom(this.#consoleLog, consoleFrom)).includes("BOOT FAILED"),
        () => "BOOT FAILED",
        abort.signal,
      );
      throw new Error("the node reported BOOT FAILED");
    })();
    try {
      await Promise.race([boot, died, failed]);
    } finally {
      abort.abort();
      // The other sides settle soon after the abort; wait so no timer or rabbitmqctl process
      // outlives this call.
      await Promise.allSettled([boot, failed]);
    }
  }

  async #stop(): Promise<void> {
    const running = this.#running;
    if (running === undefined || running.done) return;
    try {
      // `shutdown` is `stop` that asks the node for its OS pid and waits until that process is
      // gone; `stop <pidfile>` would wait for a pid file to appear if it were missing.
      await this.#ctl(["shutdown", "--timeout", String(STOP_TIMEOUT_MS / 1000)], STOP_TIMEOUT_MS);
    } catch (err) {
      if (!running.done) {
        // RabbitMQ handles SIGTERM as a graceful stop too; SIGKILL if even that hangs.
        await this.#signal("SIGTERM");
        if (!(await exitedWithin(running, EXIT_TIMEOUT_MS))) {
          await this.#kill();
          throw new Error(`${this.name}: graceful stop failed; killed the node`, { cause: err });
        }
      }
    }
    if (!(await exitedWithin(running, EXIT_TIMEOUT_MS))) {
      throw new Error(`${this.name}: the node process did not exit after rabbitmqctl stop`);
    }
    await this.#awaitGone();
  }

  /** After the VM exited: its AMQP port is closed and epmd forgot its name (start() checks). */
  async #awaitGone(): Promise<void> {
    const deadline = Date.now() + EXIT_TIMEOUT_MS;
    await waitForPortClosed(this.#ports.amqp, deadline);
    await pollUntil(
      deadline,
      async () => !(await epmdHas(this.name)),
      () => `epmd to forget ${this.name}`,
    );
  }

  async #kill(): Promise<void> {
    const running = this.#running;
    if (running === undefined || running.done) return;
    if (!(await this.#signal("SIGKILL"))) {
      // No VM yet (killed very early in boot): kill the script's shell.
      try {
        running.child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    if (!(await exitedWithin(running, EXIT_TIMEOUT_MS))) {
      throw new Error(`${this.name}: the node process survived SIGKILL`);
    }
    await removeIfExists(this.#pidFile);
    await this.#awaitGone();
  }

  /** Sends `signal` to this node's Erlang VM; false when there is no such process. */
  async #signal(signal: Deno.Signal): Promise<boolean> {
    const pid = await this.#vmPid();
    if (pid === undefined) return false;
    try {
      Deno.kill(pid, signal);
      return true;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  }

  /**
   * The OS pid of this node's Erlang VM: the child of the script's `sh` whose command is
   * `beam.smp`, as `ps` lists them (Deno reads `/proc/<pid>/*` of another process only with
   * --allow-all, which the test task does not grant). Only asked while that `sh` runs, and the
   * VM is its child: a stale pid file or a recycled pid never makes us signal another process.
   */
  async #vmPid(): Promise<number | undefined> {
    const running = this.#running;
    if (running === undefined || running.done) return undefined;
    const out = await new Deno.Command("ps", {
      args: ["-o", "pid=,comm=", "--ppid", String(running.child.pid)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    for (const line of decoder.decode(out.stdout).split("\n")) {
      const [pid, command] = line.trim().split(/\s+/);
      if (pid !== undefined && command?.startsWith("beam")) return Number.parseInt(pid, 10);
    }
    return undefined;
  }

  async #ctl(args: string[], timeoutMs: number, cancel?: AbortSignal): Promise<string> {
    const timeout = AbortSignal.timeout(Math.max(1, timeoutMs));
    const output = await new Deno.Command(`${this.#scriptDir}/rabbitmqctl`, {
      args: ["-n", this.name, ...args],
      cwd: RABBITMQ_HOME_DIR,
      clearEnv: true,
      env: this.#env({}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: cancel === undefined ? timeout : AbortSignal.any([timeout, cancel]),
      ...this.#owner.ids,
    }).output();
    const stdout = decoder.decode(output.stdout);
    if (!output.success) {
      const stderr = decoder.decode(output.stderr).trim();
      const how = output.signal !== null
        ? `was killed by ${output.signal} (timeout ${timeoutMs} ms?)`
        : `exited with code ${output.code}`;
      throw new Error(
        `rabbitmqctl -n ${this.name} ${args.join(" ")} ${how}: ${stderr || stdout.trim()}`,
      );
    }
    return stdout;
  }

  #env(extra: Record<string, string>): Record<string, string> {
    return {
      PATH: Deno.env.get("PATH") ?? DEFAULT_PATH,
      HOME: this.#owner.home,
      LANG: "C.UTF-8",
      LC_ALL: "C.UTF-8",
      RABBITMQ_CONF_ENV_FILE: this.#envConf,
      ...extra,
    };
  }

  /**
   * What the console log and the node log got since the byte offsets `from`: `all` of it (to
   * classify the failure) and a `tail` to quote: the lines from "BOOT FAILED" on (the reason
   * follows it) if there is one, else the last lines.
   */
  async #logsSince(from: readonly number[]): Promise<{ all: string; tail: string }> {
    const all: string[] = [];
    const tail: string[] = [];
    for (const [i, path] of [this.#consoleLog, this.#nodeLog].entries()) {
      const text = await readFrom(path, from[i] ?? 0);
      all.push(text);
      const lines = text.trimEnd().split("\n");
      const failed = lines.findIndex((line) => line.includes("BOOT FAILED"));
      const quoted = failed >= 0
        ? lines.slice(failed, failed + LOG_TAIL_LINES)
        : lines.slice(-LOG_TAIL_LINES);
      tail.push(`--- ${path} (${failed >= 0 ? "from BOOT FAILED" : "last lines"}) ---`, ...quoted);
    }
    return { all: all.join("\n"), tail: tail.join("\n") };
  }
}

/** The first directory of {@linkcode SCRIPT_DIRS} with the real scripts, if any. */
async function findScriptDir(): Promise<string | undefined> {
  for (const dir of SCRIPT_DIRS) {
    try {
      await Deno.stat(`${dir}/rabbitmq-env`);
      await Deno.stat(`${dir}/rabbitmq-server`);
      return dir;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return undefined;
}

let ownerCache: Promise<Owner> | undefined;

/** As root: the `rabbitmq` user (whose cookie the shared broker uses too). Else: ourselves. */
function nodeOwner(): Promise<Owner> {
  ownerCache ??= (async (): Promise<Owner> => {
    if (Deno.uid() !== 0) {
      return { ids: undefined, home: Deno.env.get("HOME") ?? RABBITMQ_HOME_DIR };
    }
    const id = async (flag: string): Promise<number> => {
      const out = await new Deno.Command("id", { args: [flag, "rabbitmq"], stderr: "piped" })
        .output();
      const value = Number.parseInt(decoder.decode(out.stdout).trim(), 10);
      if (!out.success || !Number.isInteger(value)) {
        throw new Error(`id ${flag} rabbitmq failed: ${decoder.decode(out.stderr).trim()}`);
      }
      return value;
    };
    return { ids: { uid: await id("-u"), gid: await id("-g") }, home: RABBITMQ_HOME_DIR };
  })();
  ownerCache.catch(() => ownerCache = undefined);
  return ownerCache;
}

/**
 * Picks an AMQP port and a distribution port. The kernel chooses free ones (bind to port 0;
 * both listeners are held at once so they differ), from its ephemeral range (32768-60999 here).
 * Ports in the CLI tools' fixed distribution range are refused. Anything up to 65535 works for
 * the node's dist port because RABBITMQ_DIST_PORT is set explicitly (checked: AMQP 50500 + dist
 * 60500 boots; without RABBITMQ_DIST_PORT, AMQP 50501 fails with "Invalid Erlang distribution
 * TCP port: 70501"). A port may still be taken between this pick and the node's bind:
 * `startRabbitNode` retries with new ports on `eaddrinuse`. A restart keeps its ports; if one
 * was taken while the node was down, start() throws an error whose name is PortInUseError.
 */
function pickPorts(): Ports {
  const held: Deno.Listener[] = [];
  try {
    const ports: number[] = [];
    while (ports.length < 2) {
      if (held.length > 50) throw new Error("pickPorts: no usable free port");
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      held.push(listener);
      const { port } = listener.addr as Deno.NetAddr;
      if (port >= CLI_DIST_PORTS.min && port <= CLI_DIST_PORTS.max) continue;
      ports.push(port);
    }
    const [amqp, dist] = ports;
    if (amqp === undefined || dist === undefined) throw new Error("pickPorts: unreachable");
    return { amqp, dist };
  } finally {
    for (const listener of held) listener.close();
  }
}

/** Throws a clear error when the node's user could not reach `dir` (e.g. TMPDIR under /root). */
async function assertTraversable(dir: string): Promise<void> {
  if (Deno.uid() !== 0) return;
  let path = dir;
  while (true) {
    const parent = path.replace(/\/[^/]*$/, "") || "/";
    if (parent === path) return;
    path = parent;
    const info = await Deno.stat(path);
    if (info.mode !== null && (info.mode & 0o001) === 0) {
      throw new Error(
        `startRabbitNode: ${path} is not searchable by other users, so the rabbitmq user cannot ` +
          `reach ${dir}; set TMPDIR to a directory such as /tmp`,
      );
    }
  }
}

/** Whether epmd (127.0.0.1, ERL_EPMD_PORT or 4369) lists the node (by its short name). */
async function epmdHas(nodeName: string): Promise<boolean> {
  const shortName = nodeName.split("@")[0] ?? nodeName;
  const port = Number.parseInt(Deno.env.get("ERL_EPMD_PORT") ?? "4369", 10);
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return false; // epmd not running (yet): the node starts it.
  }
  try {
    // NAMES_REQ: 2-byte length, then 'n'. The reply is a 4-byte port, then text lines
    // "name <short name> at port <dist port>\n" until epmd closes the connection.
    await writeAll(conn, new Uint8Array([0, 1, 110]));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const text = decoder.decode(concat(chunks).subarray(4));
    return text.split("\n").some((line) => line.startsWith(`name ${shortName} at port `));
  } catch {
    return false;
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Polls `check` with a short exponential back-off (20 ms .. 500 ms) until true or deadline. */
async function pollUntil(
  deadline: number,
  check: () => Promise<boolean>,
  what: () => string,
  cancel?: AbortSignal,
): Promise<void> {
  let delay = 20;
  while (true) {
    cancel?.throwIfAborted();
    if (await check()) return;
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), cancel);
    delay = Math.min(delay * 2, 500);
  }
}

/** Resolves when a TCP connection to 127.0.0.1:`port` succeeds. */
async function waitForPort(port: number, deadline: number, cancel?: AbortSignal): Promise<void> {
  await pollUntil(
    deadline,
    async () => {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return true;
      } catch {
        return false;
      }
    },
    () => `127.0.0.1:${port} to accept connections`,
    cancel,
  );
}

/** Resolves when TCP connections to 127.0.0.1:`port` are refused. */
async function waitForPortClosed(port: number, deadline: number): Promise<void> {
  await pollUntil(deadline, async () => {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return false;
    } catch {
      return true;
    }
  }, () => `127.0.0.1:${port} to close`);
}

/** Polls `cluster_status` of `node` until every one of `names` is listed as running. */
async function waitForClusterRunning(node: RabbitNode, names: string[]): Promise<void> {
  let last = "";
  await pollUntil(Date.now() + START_TIMEOUT_MS, async () => {
    last = await node.ctl("cluster_status", "--formatter", "json");
    const status: unknown = JSON.parse(last);
    const running = typeof status === "object" && status !== null && "running_nodes" in status
      ? status.running_nodes
      : undefined;
    return Array.isArray(running) && names.every((n) => running.includes(n));
  }, () => `all of ${names.join(", ")} to run in the cluster of ${node.name} (last: ${last})`);
}

/** Waits up to `ms` for the node process to exit; true when it did. */
async function exitedWithin(running: Running, ms: number): Promise<boolean> {
  if (running.done) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([running.exited.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The text of the file at `path` from byte `offset` on; "" when it does not exist. */
async function readFrom(path: string, offset: number): Promise<string> {
  try {
    return decoder.decode((await Deno.readFile(path)).subarray(offset));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "";
    throw err;
  }
}

/** Size of the file at `path` in bytes, 0 when it does not exist. */
async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
}

async function removeIfExists(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Sleeps `ms`; an abort ends the sleep early (the caller then sees the signal aborted). */
function sleep(ms: number, cancel?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    cancel?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      cancel?.removeEventListener("abort", done);
      resolve();
    }
  });
}
