/**
 * Finding the broker: its address from `AMQP_URL`, whether it answers, and making sure one does
 * (starting a local one when none answers at the default address).
 *
 * @module
 */
import amqp from "amqplib";
import { pause } from "../../src/util/deadline.ts";
import { DEFAULT_URL, hostPort, redactUrl } from "../../src/broker/urls.ts";
import { DemoError, messageOf } from "./errors.ts";
import { startLocalBroker } from "./local_broker.ts";
import { BROKER_START_MS } from "./settings.ts";

/** Where the broker is: its URL and its TCP endpoint. */
export interface Broker {
  /** The broker's URL, as `AMQP_URL` gives it. */
  readonly url: string;
  /** The host name, without the brackets of an IPv6 address. */
  readonly hostname: string;
  /** The TCP port. */
  readonly port: number;
}

/** The broker named by `AMQP_URL` (default `amqp://localhost:5672`); throws when it is unusable. */
export function brokerFromEnv(): Broker {
  const url = Deno.env.get("AMQP_URL")?.trim() || DEFAULT_URL;
  if (url.includes(",")) {
    throw new DemoError(`AMQP_URL holds several URLs; the demo takes one, e.g. ${DEFAULT_URL}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DemoError(`AMQP_URL is not a URL: '${redactUrl(url)}'; give e.g. ${DEFAULT_URL}`);
  }
  if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
    throw new DemoError(`AMQP_URL must start with amqp:// or amqps://: '${redactUrl(url)}'`);
  }
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === "amqps:" ? 5671 : 5672;
  return { url, hostname: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port };
}

/** The README's permission flags for the worker and the producer, for the broker at `broker`. */
export function permissionFlags(broker: Broker): string[] {
  return [`--allow-net=${hostPort(broker.url)}`, "--allow-env=AMQP_URL,WARREN_QUEUE"];
}

/** What a probe found: a broker, something else, or nothing listening. */
type Probe =
  | { readonly state: "ok" }
  | { readonly state: "closed" | "refused"; readonly why: string };

/** Whether a broker answers: a TCP connect, then an AMQP connection (closed again at once). */
async function probe(broker: Broker): Promise<Probe> {
  try {
    const socket = await Deno.connect({ hostname: broker.hostname, port: broker.port });
    socket.close();
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) throw notAllowed(broker, err);
    return { state: "closed", why: messageOf(err) };
  }
  try {
    const connection = await amqp.connect(broker.url, { timeout: 5_000 });
    connection.on("error", () => {});
    await connection.close();
    return { state: "ok" };
  } catch (err) {
    return { state: "refused", why: messageOf(err) };
  }
}

function notAllowed(broker: Broker, cause: unknown): DemoError {
  const where = hostPort(broker.url);
  return new DemoError(
    `'deno task demo' may only reach localhost. For a broker at ${where}, run:\n` +
      `  AMQP_URL=${redactUrl(broker.url)} deno run --allow-net=${where} --allow-env ` +
      `--allow-run --allow-read scripts/demo.ts`,
    { cause },
  );
}

/** Whether `broker` is the address a broker started here would have: localhost:5672. */
function isDefaultAddress(broker: Broker): boolean {
  return ["localhost", "127.0.0.1", "::1"].includes(broker.hostname) && broker.port === 5672;
}

/**
 * Makes sure a broker answers at `broker`, starting a local one if needed and possible; rejects
 * with the signal's reason when `signal` fires while it waits.
 */
export async function ensureBroker(broker: Broker, signal: AbortSignal): Promise<void> {
  const where = redactUrl(broker.url);
  const found = await probe(broker);
  if (found.state === "ok") {
    console.log(`RabbitMQ answers at ${where}`);
    return;
  }
  if (found.state === "refused") {
    throw new DemoError(
      `Something listens at ${where} but refused an AMQP connection: ${found.why}\n` +
        `Check the user, password and virtual host in AMQP_URL (RabbitMQ's guest user may only ` +
        `connect from localhost).`,
    );
  }
  if (!isDefaultAddress(broker)) {
    throw new DemoError(
      `Nothing answers at ${where} (${found.why}). Start the broker there, or unset AMQP_URL ` +
        `to use one on localhost:5672 (the demo starts a local one if it can).`,
    );
  }
  console.log(`No RabbitMQ at ${where} (${found.why}): starting one.`);
  await startLocalBroker(broker, signal);
  await waitForBroker(broker, signal);
  console.log(`RabbitMQ answers at ${where} (left running; the demo does not stop it)`);
}

/** Probes `broker` each second until it answers, for at most `BROKER_START_MS`. */
async function waitForBroker(broker: Broker, signal: AbortSignal): Promise<void> {
  const started = Date.now();
  let reported = started;
  for (;;) {
    const found = await probe(broker);
    if (found.state === "ok") return;
    const now = Date.now();
    if (now - started > BROKER_START_MS) {
      throw new DemoError(
        `RabbitMQ did not answer within ${BROKER_START_MS / 1000} s: ${found.why}`,
      );
    }
    if (now - reported >= 5_000) {
      console.log(`  still waiting for RabbitMQ (${Math.round((now - started) / 1000)} s)...`);
      reported = now;
    }
    await pause(1_000, signal);
    signal.throwIfAborted();
  }
}
