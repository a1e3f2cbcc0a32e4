/**
 * compose.yaml cannot be run here (no Docker engine), so these tests read it and check what can
 * be checked without Docker: the services and their settings, and that the worker and producer
 * commands it runs are accepted by the real CLIs (run as subprocesses against the local broker,
 * with the broker's host `rabbitmq` swapped for `localhost`).
 *
 * The `cluster` profile is checked the same way: its three RabbitMQ nodes (one cookie, classic
 * peer discovery in compose/cluster.conf, which a private local RabbitMQ node boots with), and
 * its worker and producer, given the three nodes' URLs (each swapped for the local broker).
 * Where `docker-compose` is installed, it validates the file too.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { parse } from "yaml";
import { mainQueueOptions, queueNames } from "../src/broker/topology.ts";
import { hostPort, parseUrls } from "../src/broker/urls.ts";
import { type RawClient, rawClient, TEST_URL, uniqueQueue } from "./_helpers/broker.ts";
import { PRODUCER_FLAGS, rootPath, runCli, type RunResult, WORKER_FLAGS } from "./_helpers/cli.ts";
import { commandSucceeds } from "./_helpers/commands.ts";
import { freePort } from "./_helpers/ports.ts";
import { rabbitmqInstalled, startRabbitNode } from "./_helpers/rabbit_node.ts";
import { YOUNG_GENERATION_V8_FLAG } from "../scripts/compile.ts";

type Mapping = Readonly<Record<string, unknown>>;

const README_NET = "--allow-net=localhost:5672";
const COMPOSE_NET = "--allow-net=rabbitmq:5672";
/** The worker's metrics endpoint in Compose, and where the tests run it instead (loopback only). */
const COMPOSE_METRICS = "0.0.0.0:9464";
const LOCAL_METRICS_PORT = freePort();
const LOCAL_METRICS = `127.0.0.1:${LOCAL_METRICS_PORT}`;

const composeText = await Deno.readTextFile(rootPath("compose.yaml"));
const compose = mapping(parse(composeText), "compose.yaml");
const services = mapping(compose.services, "services");

function mapping(value: unknown, where: string): Mapping {
  assert(
    typeof value === "object" && value !== null && !Array.isArray(value),
    `${where} must be a mapping`,
  );
  return value as Mapping;
}

function strings(value: unknown, where: string): string[] {
  assert(
    Array.isArray(value) && value.every((item) => typeof item === "string"),
    `${where} must be a list of strings (exec form, no shell)`,
  );
  return value.map(String);
}

function service(name: string): Mapping {
  return mapping(services[name], `services.${name}`);
}

/** `deno run <deno flags> <script>.ts <script args>`, taken apart. */
interface DenoRun {
  readonly denoFlags: string[];
  readonly script: string;
  readonly args: string[];
}

function denoRun(argv: readonly string[], where: string): DenoRun {
  assertEquals(argv.slice(0, 2), ["deno", "run"], `${where} must start with 'deno run'`);
  const at = argv.findIndex((arg, i) => i >= 2 && !arg.startsWith("-"));
  assert(at > 0 && argv[at]!.endsWith(".ts"), `${where} must name a .ts script`);
  return { denoFlags: argv.slice(2, at), script: argv[at]!, args: argv.slice(at + 1) };
}

/** The permission flags among deno's flags. */
function permissions(flags: readonly string[]): string[] {
  return flags.filter((flag) => flag.startsWith("--allow-") || flag.startsWith("--deny-"));
}

/** The README's flags with the broker host Compose uses. */
function composeFlags(readme: readonly string[]): string[] {
  assert(readme.includes(README_NET), `the README flags name localhost:5672: ${readme}`);
  return readme.map((flag) => (flag === README_NET ? COMPOSE_NET : flag));
}

/** Compose's deno flags with the local broker's host and a loopback metrics port, to run here. */
function localFlags(flags: readonly string[]): string[] {
  return flags.map((flag) =>
    flag.startsWith(COMPOSE_NET)
      ? flag.replace(COMPOSE_NET, README_NET).replace(COMPOSE_METRICS, LOCAL_METRICS)
      : flag
  );
}

/** Compose's CLI arguments with the metrics endpoint on loopback, to run them here. */
function localArgs(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    if (args[i - 1] === "--metrics-host") return "127.0.0.1";
    if (args[i - 1] === "--metrics-port") return String(LOCAL_METRICS_PORT);
    return arg;
  });
}

/** The `--flags` among CLI arguments. */
function optionNames(args: readonly string[]): string[] {
  return args.filter((arg) => arg.startsWith("--")).map((arg) => arg.split("=")[0]!);
}

/** The arguments of each `docker compose run --rm producer ...` example in the comments. */
function producerExamples(): string[][] {
  return composeText.split("\n")
    .map((line) => /^#\s+docker compose run --rm producer (.*)$/.exec(line)?.[1])
    .filter((rest) => rest !== undefined)
    .map((rest) => rest.replace(/\s+#.*$/, "").trim().split(/\s+/));
}

/** A CLI run as `deno run <flags> <script> <args>`, whose stdout lines can be awaited. */
class Cli {
  readonly #child: Deno.ChildProcess;
  readonly #stderr: Promise<string>;
  readonly #reading: Promise<void>;
  readonly lines: string[] = [];
  #wake: () => void = () => {};
  #ended = false;

  constructor(run: DenoRun, env: Record<string, string>) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        ...localFlags(run.denoFlags),
        rootPath(run.script),
        ...localArgs(run.args),
      ],
      cwd: rootPath(""),
      env: { NO_COLOR: "1", AMQP_URL: TEST_URL, ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stderr = new Response(this.#child.stderr).text();
    this.#reading = this.#read();
  }

  async #read(): Promise<void> {
    let rest = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      this.lines.push(...parts);
      this.#wake();
    }
    this.#ended = true;
    this.#wake();
  }

  /** Resolves once a line of stdout includes `text`; rejects after 30 s or when output ends. */
  async waitFor(text: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (!this.lines.some((line) => line.includes(text))) {
      if (this.#ended || Date.now() > deadline) {
        throw new Error(`no line with ${text}; stdout:\n${this.lines.join("\n")}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now() + 1);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Sends SIGTERM and waits for the exit. */
  async stop(): Promise<{ code: number; stderr: string }> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already gone
    }
    const { code } = await this.#child.status;
    await this.#reading;
    return { code, stderr: await this.#stderr };
  }

  /** Kills the process if it still runs. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.#child.status;
    await this.#reading;
    await this.#stderr;
  }
}

Deno.test("compose.yaml is Compose v2 with pinned images and the three services", async (t) => {
  await t.step("no top-level version, services rabbitmq, worker and producer", () => {
    assertEquals(compose.version, undefined, "Compose v2 files have no 'version:'");
    for (const name of ["rabbitmq", "worker", "producer"]) service(name);
  });

  await t.step("every image has an explicit tag other than latest", () => {
    for (const [name, value] of Object.entries(services)) {
      const image = String(mapping(value, name).image);
      const tag = /:([^/:]+)$/.exec(image)?.[1];
      assert(tag !== undefined && tag !== "latest", `${name}'s image ${image} must pin a tag`);
    }
  });

  await t.step("the Deno image is the Deno version the project runs on", () => {
    for (const name of ["worker", "producer"]) {
      assertEquals(service(name).image, `denoland/deno:${Deno.version.deno}`);
    }
  });
});

Deno.test("compose.yaml's RabbitMQ has the management UI, a healthcheck and a persistent volume", async (t) => {
  const rabbitmq = service("rabbitmq");

  await t.step("the image is an official management image", () => {
    assert(/^rabbitmq:[\w.-]*management/.test(String(rabbitmq.image)), String(rabbitmq.image));
  });

  await t.step("AMQP and the management UI listen on 127.0.0.1 only", () => {
    const ports = strings(rabbitmq.ports, "rabbitmq.ports");
    assertEquals(ports.sort(), ["127.0.0.1:15672:15672", "127.0.0.1:5672:5672"]);
  });

  await t.step(
    "the healthcheck pings the node, with interval, timeout, retries, start period",
    () => {
      const healthcheck = mapping(rabbitmq.healthcheck, "rabbitmq.healthcheck");
      assertEquals(strings(healthcheck.test, "healthcheck.test"), [
        "CMD",
        "rabbitmq-diagnostics",
        "-q",
        "ping",
      ]);
      for (const key of ["interval", "timeout", "retries", "start_period"]) {
        assert(healthcheck[key] !== undefined, `the healthcheck sets ${key}`);
      }
    },
  );

  await t.step("/var/lib/rabbitmq is a named volume and the node name is fixed", () => {
    const volumes = strings(rabbitmq.volumes, "rabbitmq.volumes");
    const data = volumes.find((v) => v.endsWith(":/var/lib/rabbitmq"));
    assert(data !== undefined, "a volume holds /var/lib/rabbitmq");
    const name = data.split(":")[0]!;
    assert(!name.startsWith(".") && !name.startsWith("/"), `${data} is a named volume`);
    assert(name in mapping(compose.volumes, "volumes"), `volume ${name} is declared`);
    // The data directory is named after the node, rabbit@<hostname>: a container id as hostname
    // would start an empty node after `docker compose down` and `up`.
    assertEquals(rabbitmq.hostname, "rabbitmq");
  });

  await t.step(
    "every node reads compose/advanced.config, which shortens the dead-letter confirm timeout",
    async () => {
      for (const name of ["rabbitmq", "rabbit1", "rabbit2", "rabbit3"]) {
        const volumes = strings(service(name).volumes, `${name}.volumes`);
        assert(
          volumes.includes("./compose/advanced.config:/etc/rabbitmq/advanced.config:ro"),
          `${name} mounts compose/advanced.config`,
        );
      }
      const text = await Deno.readTextFile(rootPath("compose/advanced.config"));
      assert(/\{dead_letter_worker_publisher_confirm_timeout, 10000\}/.test(text), text);
    },
  );
});

Deno.test("compose.yaml's workers scale and start once RabbitMQ is healthy", () => {
  const worker = service("worker");
  assertEquals(worker.container_name, undefined, "a fixed container name prevents --scale");
  assertEquals(mapping(worker.depends_on, "worker.depends_on").rabbitmq, {
    condition: "service_healthy",
  });
  assertEquals(worker.restart, "unless-stopped");
  assertEquals(mapping(worker.environment, "worker.environment").AMQP_URL, "amqp://rabbitmq:5672");
  const volumes = strings(worker.volumes, "worker.volumes");
  assert(volumes.includes(`.:${worker.working_dir}:ro`), "the repository is mounted read-only");
  const cache = volumes.find((v) => v.endsWith(":/deno-dir"));
  assert(cache !== undefined && cache.split(":")[0]! in mapping(compose.volumes, "volumes"));
  assertEquals(worker.expose, ["9464"], "the metrics port is open to the compose network");
  const health = strings(mapping(worker.healthcheck, "worker.healthcheck").test, "healthcheck");
  assertStringIncludes(health.join(" "), "http://127.0.0.1:9464/healthz");
});

Deno.test("compose.yaml's worker command runs the worker CLI with the README's permissions", async (t) => {
  const run = denoRun(strings(service("worker").command, "worker.command"), "worker.command");

  await t.step("it runs worker.ts with the README flags, host rabbitmq:5672", () => {
    assertEquals(run.script, "worker.ts");
    // plus the README's optional --allow-sys=hostname: each replica names itself after its
    // container, so that dead letters say which one gave them up
    const [net, ...rest] = composeFlags(WORKER_FLAGS);
    assertEquals(permissions(run.denoFlags), [
      `${net},${COMPOSE_METRICS}`, // and the metrics endpoint that --metrics-port serves
      ...rest,
      "--allow-sys=hostname",
    ]);
    assertStringIncludes(run.args.join(" "), "--metrics-port 9464 --metrics-host 0.0.0.0");
    assert(run.denoFlags.includes(YOUNG_GENERATION_V8_FLAG), "the worker's small young generation");
  });

  await t.step("the worker CLI accepts its arguments and lists each flag in --help", async () => {
    const help = await runCli("worker.ts", [...run.args, "--help"], {
      flags: localFlags(run.denoFlags),
    });
    assertEquals(help.code, 0, help.stderr);
    assertStringIncludes(run.args.join(" "), "--log-format json");
    for (const option of optionNames(run.args)) assertStringIncludes(help.stdout, option);
  });

  await t.step("with compose's producer it does a task, then exits 0 on SIGTERM", async () => {
    const queue = uniqueQueue();
    await using client = await rawClient();
    client.track(queue);
    await using worker = new Cli(run, { WARREN_QUEUE: queue });
    await worker.waitFor('"event":"worker.started"'); // a JSON log line: --log-format json
    const producer = denoRun(
      strings(service("producer").entrypoint, "producer.entrypoint"),
      "producer.entrypoint",
    );
    const sent = await runCli("producer.ts", ["sum", "--start", "1", "--end", "10000"], {
      flags: localFlags(producer.denoFlags),
      env: { AMQP_URL: TEST_URL, WARREN_QUEUE: queue },
    });
    assertEquals(sent.code, 0, sent.stderr);
    await worker.waitFor('"result":"50005000"');
    const health = await fetch(`http://${LOCAL_METRICS}/healthz`);
    assertEquals([health.status, await health.text()], [200, "ok\n"]);
    const { code, stderr } = await worker.stop();
    assertEquals(code, 0, stderr);
  });

  // `docker compose up` then `docker compose stop` at once: Docker sends SIGTERM.
  await t.step("it exits 0 on a SIGTERM that comes as soon as it started", async () => {
    const queue = uniqueQueue();
    await using client = await rawClient();
    client.track(queue);
    await using worker = new Cli(run, { WARREN_QUEUE: queue });
    await worker.waitFor('"event":"worker.started"');
    const { code, stderr } = await worker.stop();
    assertEquals(code, 0, `killed by the signal instead of stopping cleanly? ${stderr}`);
  });
});

Deno.test("compose.yaml's producer is a one-shot tool whose documented commands work", async (t) => {
  const producer = service("producer");
  const entrypoint = strings(producer.entrypoint, "producer.entrypoint");
  const run = denoRun(entrypoint, "producer.entrypoint");

  await t.step("it runs only on demand, and once", () => {
    assertEquals(producer.profiles, ["tools"]);
    assertEquals(producer.restart, "no");
    assertEquals(producer.container_name, undefined);
  });

  await t.step("its entrypoint runs producer.ts with the README flags, host rabbitmq:5672", () => {
    assertEquals(run.script, "producer.ts");
    assertEquals(run.args, [], "arguments come from the command");
    assertEquals(permissions(run.denoFlags), composeFlags(PRODUCER_FLAGS));
    assert(
      run.denoFlags.includes(YOUNG_GENERATION_V8_FLAG),
      "the producer's small young generation",
    );
  });

  await t.step("its default command is accepted by the producer CLI", async () => {
    const command = strings(producer.command, "producer.command");
    const result = await runCli("producer.ts", [...command, "--help"], {
      flags: localFlags(run.denoFlags),
    });
    assertEquals(result.code, 0, result.stderr);
    assertStringIncludes(result.stdout, "Usage:");
  });

  await t.step(
    "each 'docker compose run --rm producer' example in the comments works",
    async () => {
      const examples = producerExamples();
      assert(examples.length >= 2, "compose.yaml shows how to run the producer");
      const queue = uniqueQueue();
      await using client = await rawClient();
      client.track(queue);
      for (const args of examples) {
        const help = await runCli("producer.ts", [...args, "--help"], {
          flags: localFlags(run.denoFlags),
        });
        assertEquals(help.code, 0, `${args.join(" ")} --help: ${help.stderr}`);
        for (const option of optionNames(args)) assertStringIncludes(help.stdout, option);
        if (args.includes("--help")) continue;
        const result = await runCli("producer.ts", [...args, "--queue", queue], {
          flags: localFlags(run.denoFlags),
          env: { AMQP_URL: TEST_URL },
        });
        assertEquals(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
        assertStringIncludes(result.stdout, `enqueued ${args[0]} `);
      }
    },
  );
});

// The `cluster` profile.

/** The hosts of the cluster's nodes, as compose.yaml names them. */
const CLUSTER_HOSTS = ["rabbit1", "rabbit2", "rabbit3"];
/** A node's AMQP address inside Compose, e.g. `rabbit1:5672`, and its stand-in here. */
const CLUSTER_ADDRESS = /\brabbit\d:5672\b/g;
const LOCAL_ADDRESS = "localhost:5672";

/** The services of the cluster's RabbitMQ nodes: those of profile `cluster` that run RabbitMQ. */
function clusterNodes(): [string, Mapping][] {
  return Object.entries(services)
    .map(([name, value]): [string, Mapping] => [name, mapping(value, `services.${name}`)])
    .filter(([, svc]) =>
      String(svc.image).startsWith("rabbitmq:") &&
      Array.isArray(svc.profiles) && svc.profiles.includes("cluster")
    );
}

/** A service's `environment` mapping. */
function environment(svc: Mapping, where: string): Mapping {
  return mapping(svc.environment, `${where}.environment`);
}

/** The `host:port` addresses of a `--allow-net=` flag. */
function netAddresses(flags: readonly string[]): string[] {
  const net = flags.filter((flag) => flag.startsWith("--allow-net="));
  assertEquals(net.length, 1, `one --allow-net flag in ${flags.join(" ")}`);
  return net[0]!.slice("--allow-net=".length).split(",");
}

/** The cluster's deno flags with each node's address swapped for the local broker's. */
function clusterLocalFlags(flags: readonly string[]): string[] {
  return flags.map((flag) =>
    flag.replaceAll(CLUSTER_ADDRESS, LOCAL_ADDRESS).replace(COMPOSE_METRICS, LOCAL_METRICS)
  );
}

/** The cluster's AMQP_URL with each node's address swapped for the local broker's. */
function clusterLocalUrls(urls: string): string {
  return urls.replaceAll(CLUSTER_ADDRESS, LOCAL_ADDRESS);
}

/** `key = value` lines of a rabbitmq.conf file (comments and blank lines left out). */
function confEntries(text: string): [string, string][] {
  return text.split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const match = /^([\w.]+)\s*=\s*(.+)$/.exec(line);
      assert(match, `a 'key = value' line: ${line}`);
      return [match[1]!, match[2]!];
    });
}

/** The arguments of each `docker compose --profile cluster run --rm cluster-producer ...` example. */
function clusterProducerExamples(): string[][] {
  return composeText.split("\n")
    .map((line) =>
      /^#\s+docker compose --profile cluster run --rm cluster-producer (.*)$/.exec(line)?.[1]
    )
    .filter((rest) => rest !== undefined)
    .map((rest) => rest.replace(/\s+#.*$/, "").trim().split(/\s+/));
}

/**
 * cluster-producer's entrypoint, `sh -c '<script>' <name>`: the script as the container's shell
 * gets it (Compose turns `$$` into `$`) and the words of its `deno run` command line, where `"$@"`
 * stands for the arguments given to `docker compose run`.
 */
function producerEntrypoint(): { script: string; name: string; words: string[] } {
  const entrypoint = strings(service("cluster-producer").entrypoint, "cluster-producer.entrypoint");
  const [sh, c, script, name, ...rest] = entrypoint;
  assertEquals([sh, c, rest], ["sh", "-c", []], "the entrypoint is sh -c '<script>' <name>");
  assert(script !== undefined && name !== undefined);
  const shell = script.replaceAll("$$", "$");
  const words = shell.trim().split(/\s+/);
  assertEquals(words[0], "exec", "the shell execs deno, which so gets Docker's signals");
  return { script: shell, name, words: words.slice(1) };
}

/**
 * Runs cluster-producer's entrypoint here, as Docker would (`sh -c '<script>' <name> <args>`),
 * with the nodes' addresses swapped for the local broker's.
 */
async function runClusterProducer(
  args: readonly string[],
  env: Record<string, string>,
): Promise<RunResult> {
  const { script, name } = producerEntrypoint();
  const denoDir = Deno.execPath().replace(/\/[^/]*$/, "");
  const output = await new Deno.Command("sh", {
    args: ["-c", script.replaceAll(CLUSTER_ADDRESS, LOCAL_ADDRESS), name, ...args],
    cwd: rootPath(""),
    env: { NO_COLOR: "1", PATH: `${denoDir}:${Deno.env.get("PATH") ?? ""}`, ...env },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Whether `queue` is a quorum queue: declaring it as one succeeds (else: 406). */
async function isQuorumQueue(client: RawClient, queue: string): Promise<boolean> {
  const channel = await client.connection.createChannel();
  channel.on("error", () => {});
  try {
    await channel.assertQueue(queue, mainQueueOptions(queueNames(queue), "quorum"));
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 406) return false;
    throw err;
  } finally {
    await channel.close().catch(() => {});
  }
}

const installed = await rabbitmqInstalled();
if (!installed) {
  console.warn(
    "compose_test: rabbitmq-server is not installed; a cluster.conf boot step is skipped",
  );
}
const hasDockerCompose = await commandSucceeds("docker-compose", ["version"]);
if (!hasDockerCompose) {
  console.warn("compose_test: docker-compose is not installed; its validation step is skipped");
}

Deno.test("compose.yaml's cluster profile runs three RabbitMQ nodes that share one Erlang cookie", async (t) => {
  const nodes = clusterNodes();

  await t.step(
    "the nodes are rabbit1, rabbit2 and rabbit3, on the rabbitmq service's image",
    () => {
      assertEquals(nodes.map(([name]) => name).sort(), CLUSTER_HOSTS);
      for (const [name, node] of nodes) {
        assertEquals(node.image, service("rabbitmq").image, `${name}'s image`);
        assertEquals(node.profiles, ["cluster"], `${name} runs only with --profile cluster`);
        // The node name is rabbit@<hostname>, which the peer list names; a container id as
        // hostname would also start an empty node after `down` and `up`.
        assertEquals(node.hostname, name, `${name}'s hostname is fixed`);
        assertEquals(node.restart, "unless-stopped");
      }
    },
  );

  await t.step("they share one Erlang cookie", () => {
    const cookies = nodes.map(([name, node]) => environment(node, name).RABBITMQ_ERLANG_COOKIE);
    assert(typeof cookies[0] === "string" && cookies[0] !== "", "rabbit1 sets a cookie");
    assertEquals(new Set(cookies).size, 1, `one cookie for all: ${cookies.join(", ")}`);
  });

  await t.step(
    "each keeps its data in its own named volume and reads compose/cluster.conf",
    async () => {
      const data = nodes.map(([name, node]) => {
        const volumes = strings(node.volumes, `${name}.volumes`);
        assert(volumes.includes("./compose/cluster.conf:/etc/rabbitmq/conf.d/30-cluster.conf:ro"));
        const volume = volumes.find((v) => v.endsWith(":/var/lib/rabbitmq"))?.split(":")[0];
        assert(volume !== undefined && /^[\w-]+$/.test(volume), `${name} has a named data volume`);
        assert(volume in mapping(compose.volumes, "volumes"), `volume ${volume} is declared`);
        return volume;
      });
      assertEquals(new Set(data).size, 3, "one data volume per node");
      assert((await Deno.stat(rootPath("compose/cluster.conf"))).isFile);
    },
  );

  await t.step(
    "each publishes AMQP and its UI on 127.0.0.1 only, on host ports no one else uses",
    () => {
      const published = Object.entries(services).flatMap(([name, value]) => {
        const ports = mapping(value, name).ports;
        return ports === undefined ? [] : strings(ports, `${name}.ports`);
      });
      for (const [name, node] of nodes) {
        const ports = strings(node.ports, `${name}.ports`);
        assertEquals(ports.map((p) => p.split(":").slice(2).join()).sort(), ["15672", "5672"]);
        for (const port of ports) assert(port.startsWith("127.0.0.1:"), `${name}: ${port}`);
      }
      const hostPorts = published.map((p) => p.split(":").slice(0, 2).join(":"));
      assertEquals(new Set(hostPorts).size, hostPorts.length, `no host port twice: ${hostPorts}`);
    },
  );

  await t.step("each is healthy once rabbitmq-diagnostics says so, with a start period", () => {
    for (const [name, node] of nodes) {
      const healthcheck = mapping(node.healthcheck, `${name}.healthcheck`);
      const test = strings(healthcheck.test, `${name}.healthcheck.test`);
      assertEquals(test.slice(0, 3), ["CMD", "rabbitmq-diagnostics", "-q"]);
      for (const key of ["interval", "timeout", "retries", "start_period"]) {
        assert(healthcheck[key] !== undefined, `${name}'s healthcheck sets ${key}`);
      }
    }
  });

  await t.step({
    name: "docker-compose validates the file with both cluster profiles",
    ignore: !hasDockerCompose,
    async fn() {
      const output = await new Deno.Command("docker-compose", {
        args: ["--profile", "cluster", "--profile", "cluster-tools", "config", "--services"],
        cwd: rootPath(""),
      }).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assertEquals(output.code, 0, stderr);
      const listed = new TextDecoder().decode(output.stdout).trim().split("\n").sort();
      for (const name of [...CLUSTER_HOSTS, "cluster-worker", "cluster-producer"]) {
        assert(listed.includes(name), `docker-compose lists ${name}: ${listed}`);
      }
    },
  });
});

Deno.test("compose/cluster.conf forms the cluster by classic peer discovery of the three nodes", async (t) => {
  const text = await Deno.readTextFile(rootPath("compose/cluster.conf"));
  const entries = confEntries(text);

  await t.step("it lists rabbit@<hostname> of each node as a classic_config peer", () => {
    const settings = new Map(entries);
    assertEquals(settings.size, entries.length, "no key is set twice");
    assertEquals(settings.get("cluster_formation.peer_discovery_backend"), "classic_config");
    const peers = entries
      .filter(([key]) => /^cluster_formation\.classic_config\.nodes\.\d+$/.test(key))
      .map(([, value]) => value);
    const hostnames = clusterNodes().map(([, node]) => String(node.hostname));
    assertEquals(peers.sort(), hostnames.map((host) => `rabbit@${host}`).sort());
  });

  // The rabbitmq image runs 3.13, this machine 3.10: both know these settings. Peers that do
  // not exist (a node of that name on localhost) make a lone node boot on its own.
  await t.step({
    name: "a RabbitMQ node boots with it and reads the backend and the peers from it",
    ignore: !installed,
    async fn() {
      const local = (host: string) => `warren-compose-${host}@localhost`;
      await using node = await startRabbitNode({
        prefix: "warren-compose",
        config: [
          ...entries.map(([key, value]) =>
            `${key} = ${value.replace(/^rabbit@(rabbit\d)$/, (_, host) => local(host))}`
          ),
          "cluster_formation.discovery_retry_limit = 1",
          "cluster_formation.discovery_retry_interval = 100",
        ],
      });
      const seen = await node.ctl(
        "eval",
        "{application:get_env(rabbit, cluster_formation), application:get_env(rabbit, cluster_nodes)}.",
      );
      assertStringIncludes(seen, "{peer_discovery_backend,rabbit_peer_discovery_classic_config}");
      for (const host of CLUSTER_HOSTS) assertStringIncludes(seen, `'${local(host)}'`);
      const partitions = await node.ctl(
        "eval",
        "application:get_env(rabbit, cluster_partition_handling).",
      );
      assertStringIncludes(partitions, "pause_minority");
    },
  });
});

Deno.test("compose.yaml's cluster-worker scales, waits for the three nodes and is given all three", async (t) => {
  const worker = service("cluster-worker");
  const run = denoRun(strings(worker.command, "cluster-worker.command"), "cluster-worker.command");
  const urls = String(environment(worker, "cluster-worker").AMQP_URL);

  await t.step("it scales and starts once the three nodes are healthy", () => {
    assertEquals(worker.container_name, undefined, "a fixed container name prevents --scale");
    assertEquals(worker.profiles, ["cluster"]);
    assertEquals(worker.restart, "unless-stopped");
    assertEquals(worker.image, service("worker").image);
    const dependsOn = mapping(worker.depends_on, "cluster-worker.depends_on");
    assertEquals(Object.keys(dependsOn).sort(), CLUSTER_HOSTS);
    for (const host of CLUSTER_HOSTS) {
      assertEquals(dependsOn[host], { condition: "service_healthy" }, `it waits for ${host}`);
    }
    const documented = composeText.split("\n").some((line) =>
      /^#\s+docker compose --profile cluster up -d --scale cluster-worker=\d+ cluster-worker\b/
        .test(line)
    );
    assert(documented, "the comments show how to start the cluster with N workers");
  });

  await t.step(
    "AMQP_URL lists the three nodes, and --allow-net names exactly their addresses",
    () => {
      const addresses = parseUrls(urls, "AMQP_URL").map(hostPort);
      assertEquals(addresses, CLUSTER_HOSTS.map((host) => `${host}:5672`));
      assertEquals(run.script, "worker.ts");
      // The README's flags otherwise, as the worker service has them.
      const [, ...rest] = composeFlags(WORKER_FLAGS);
      const [net, ...others] = permissions(run.denoFlags);
      assertEquals(others, [...rest, "--allow-sys=hostname"]);
      assertEquals(netAddresses([net!]), [...addresses, COMPOSE_METRICS]);
      assert(
        run.denoFlags.includes(YOUNG_GENERATION_V8_FLAG),
        "the worker's small young generation",
      );
    },
  );

  await t.step("the worker CLI accepts its arguments, --queue-type quorum too", async () => {
    const at = run.args.indexOf("--queue-type");
    assertEquals(run.args.slice(at, at + 2), ["--queue-type", "quorum"]);
    const help = await runCli("worker.ts", [...localArgs(run.args), "--help"], {
      flags: clusterLocalFlags(run.denoFlags),
    });
    assertEquals(help.code, 0, help.stderr);
    for (const option of optionNames(run.args)) assertStringIncludes(help.stdout, option);
  });

  await t.step("given the three URLs it consumes a quorum queue and does a task", async () => {
    const queue = uniqueQueue();
    await using client = await rawClient();
    client.track(queue);
    const env = { AMQP_URL: clusterLocalUrls(urls), WARREN_QUEUE: queue };
    await using cli = new Cli({ ...run, denoFlags: clusterLocalFlags(run.denoFlags) }, env);
    await cli.waitFor('"event":"worker.started"');
    assert(await isQuorumQueue(client, queue), "the worker declared a quorum queue");
    const sent = await runClusterProducer(["sum", "--start", "1", "--end", "100"], env);
    assertEquals(sent.code, 0, sent.stderr);
    await cli.waitFor('"result":"5050"');
    const { code, stderr } = await cli.stop();
    assertEquals(code, 0, stderr);
  });
});

Deno.test("compose.yaml's cluster-producer is a one-shot tool whose documented commands declare quorum queues", async (t) => {
  const producer = service("cluster-producer");
  const urls = String(environment(producer, "cluster-producer").AMQP_URL);

  await t.step("it runs only on demand, once, after the three nodes are healthy", () => {
    assertEquals(producer.profiles, ["cluster-tools"]);
    assertEquals(producer.restart, "no");
    assertEquals(producer.container_name, undefined);
    assertEquals(producer.image, service("producer").image);
    const dependsOn = mapping(producer.depends_on, "cluster-producer.depends_on");
    for (const host of CLUSTER_HOSTS) {
      assertEquals(dependsOn[host], { condition: "service_healthy" }, `it waits for ${host}`);
    }
    assertEquals(urls, String(environment(service("cluster-worker"), "cluster-worker").AMQP_URL));
  });

  await t.step(
    "its entrypoint runs producer.ts on the three nodes, --queue-type quorum last",
    () => {
      const { words } = producerEntrypoint();
      const run = denoRun(words, "cluster-producer's deno command");
      assertEquals(run.script, "producer.ts");
      assertEquals(run.args, ['"$@"', "--queue-type", "quorum"]);
      const [, ...rest] = composeFlags(PRODUCER_FLAGS);
      const [net, ...others] = permissions(run.denoFlags);
      assertEquals(others, rest);
      assertEquals(netAddresses([net!]), parseUrls(urls, "AMQP_URL").map(hostPort));
      assert(
        run.denoFlags.includes(YOUNG_GENERATION_V8_FLAG),
        "the producer's small young generation",
      );
    },
  );

  await t.step(
    "its default command and each documented example work, on a quorum queue",
    async () => {
      const command = strings(producer.command, "cluster-producer.command");
      const help = await runClusterProducer(command, {});
      assertEquals(help.code, 0, help.stderr);
      assertStringIncludes(help.stdout, "Usage:");
      const examples = clusterProducerExamples();
      assert(examples.length >= 2, "compose.yaml shows how to run the cluster's producer");
      for (const args of examples) {
        const queue = uniqueQueue();
        await using client = await rawClient();
        client.track(queue);
        const env = { AMQP_URL: clusterLocalUrls(urls), WARREN_QUEUE: queue };
        const shown = await runClusterProducer([...args, "--help"], env);
        assertEquals(shown.code, 0, `${args.join(" ")} --help: ${shown.stderr}`);
        for (const option of optionNames(args)) assertStringIncludes(shown.stdout, option);
        const result = await runClusterProducer(args, env);
        assertEquals(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
        assertStringIncludes(result.stdout, `enqueued ${args[0]} `);
        assert(await isQuorumQueue(client, queue), `${args.join(" ")} declared a quorum queue`);
      }
    },
  );
});
