/**
 * Starting a broker on localhost:5672 with Docker Compose or a local RabbitMQ installation, or
 * saying what to install when neither is there.
 *
 * @module
 */
import { redactUrl } from "../../src/broker/urls.ts";
import type { Broker } from "./broker.ts";
import { DemoError } from "./errors.ts";
import { until } from "./interrupt.ts";
import { ROOT } from "./settings.ts";

/**
 * Starts a broker on localhost:5672 (`docker compose up -d --wait rabbitmq`, else
 * `rabbitmq-server -detached`); throws a {@linkcode DemoError} that says what to do when it
 * cannot. Returns once the start command has exited, before the broker answers.
 */
export async function startLocalBroker(broker: Broker, signal: AbortSignal): Promise<void> {
  if (await succeeds("docker", ["info"], { signal })) {
    console.log("Docker is here: docker compose up -d --wait rabbitmq");
    const compose = ["compose", "up", "-d", "--wait", "rabbitmq"];
    if (!await succeeds("docker", compose, { signal, output: "inherit" })) {
      throw new DemoError(
        `'docker compose up -d --wait rabbitmq' failed.\n${noBrokerHelp(broker)}`,
      );
    }
    return;
  }
  const server = await findRabbitmqServer();
  if (server === undefined) throw new DemoError(noBrokerHelp(broker));
  console.log(`Starting RabbitMQ: ${server} -detached`);
  if (!await succeeds(server, ["-detached"], { signal, output: "inherit" })) {
    throw new DemoError(
      `'${server} -detached' failed (it needs root or the rabbitmq user).\n` +
        `Start the broker yourself (e.g. 'sudo systemctl start rabbitmq-server'), then run ` +
        `'deno task demo' again.`,
    );
  }
}

function noBrokerHelp(broker: Broker): string {
  return `No RabbitMQ broker answers at ${redactUrl(broker.url)}. Do one of these, then run ` +
    `'deno task demo' again:
  - start one with Docker, from this folder:  docker compose up -d --wait rabbitmq
  - install RabbitMQ (https://www.rabbitmq.com/docs/download), e.g. on Debian or Ubuntu:
      sudo apt-get install rabbitmq-server     (it starts the broker on localhost:5672)
  - or use a broker you have:  AMQP_URL=amqp://user:password@host:5672 deno task demo`;
}

async function findRabbitmqServer(): Promise<string | undefined> {
  const path = (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "");
  for (const dir of [...path, "/usr/sbin", "/usr/local/sbin", "/sbin"]) {
    const file = `${dir}/rabbitmq-server`;
    try {
      if ((await Deno.stat(file)).isFile) return file;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** How {@linkcode succeeds} runs its command. */
interface RunOptions {
  /** The demo's interrupt signal: the wait ends with its reason when it fires. */
  readonly signal: AbortSignal;
  /** Where the command's output goes. @default "null" */
  readonly output?: "null" | "inherit";
}

/** Runs a command in the repository's folder; true when it exits 0, false when it fails or is absent. */
async function succeeds(
  command: string,
  args: readonly string[],
  { signal, output = "null" }: RunOptions,
): Promise<boolean> {
  try {
    const child = new Deno.Command(command, {
      args: [...args],
      cwd: ROOT,
      stdin: "null",
      stdout: output,
      stderr: output,
    }).spawn();
    return (await until(child.status, signal)).success;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
