/**
 * Dialling a broker: one AMQP connection to one URL, over IPv4 first and then over IPv6 when the
 * host may answer there instead (a host whose `localhost` is both 127.0.0.1 and ::1, a broker
 * that listens on IPv6 only).
 *
 * @module
 */
import { isIP } from "node:net";
import amqp, { type ChannelModel } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import { worthOtherFamily } from "./connection_errors.ts";
import { withHeartbeat } from "./urls.ts";

/** Options of {@linkcode dial}. */
export interface DialOptions {
  /** Heartbeat interval in seconds, unless the URL sets its own. */
  readonly heartbeat: number;
  /** The connection's name, shown by the broker's management tools. */
  readonly name: string;
  /** Time limit of the attempt, in milliseconds. */
  readonly timeout: number;
}

/**
 * Connects to `url`: each address family on its own, IPv4 first. Deno checks `--allow-net`
 * against the host as named when a single family is dialled, but against the bare address when
 * `node:net` races both (and then throws a permission error that nobody can catch).
 */
export async function dial(url: string, options: DialOptions): Promise<ChannelModel> {
  const target = withHeartbeat(url, options.heartbeat);
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  const families = isIP(host) === 0 ? [4, 6] : [0];
  const failures: unknown[] = [];
  for (const family of families) {
    // amqplib hands these to net.connect / tls.connect, whose options its types leave out.
    const socket = {
      clientProperties: { connection_name: options.name },
      timeout: options.timeout,
      family,
      autoSelectFamily: false,
    };
    try {
      return await amqp.connect(target, socket);
    } catch (err) {
      failures.push(err);
      if (!worthOtherFamily(err)) throw err;
    }
  }
  // Both families failed: report the IPv4 error, and the IPv6 one unless the host has no
  // IPv6 address at all.
  const [first, second] = failures;
  const code = (second as { code?: unknown } | undefined)?.code;
  if (second === undefined || code === "ENOTFOUND" || code === "EAI_NODATA") throw first;
  throw new Error(`${describeError(first)}; over IPv6: ${describeError(second)}`, {
    cause: first,
  });
}
