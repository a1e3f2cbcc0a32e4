/**
 * compose.yaml cannot be run here (no Docker engine), so these tests read it and check what can
 * be checked without Docker: the services and their settings, and that the worker and producer
 * commands it runs are accepted by the real CLIs (run as subprocesses against the local broker,
 * with the broker's host `rabbitmq` swapped for `localhost`).
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { parse } from "yaml";
import { rawClient, TEST_URL, uniqueQueue } from "./_helpers/broker.ts";
import { PRODUCER_FLAGS, rootPath, runCli, WORKER_FLAGS } from "./_helpers/cli.ts";

type Mapping = Readonly<Record<string, unknown>>;

const README_NET = "--allow-net=localhost:5672";
const COMPOSE_NET = "--allow-net=rabbitmq:5672";
/** The worker's metrics endpoint in Compose, and where the tests run it instead (loopback only). */
const COMPOSE_METRICS = "0.0.0.0:9464";
const LOCAL_METRICS_PORT = (() => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  listener.close();
  return listener.addr.port;
})();
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
