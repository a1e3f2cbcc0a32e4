/**
 * Dialling a broker: one AMQP connection to one URL, over IPv4 first and then over IPv6 when the
 * host may answer there instead (a host whose `localhost` is both 127.0.0.1 and ::1, a broker
 * that listens on IPv6 only).
 *
 * @module
 */
import { isIP } from "node:net";
import amqp, { type ChannelModel } from "../deps/amqplib.ts";
import { bothFamiliesFailed, isLookupFailure, worthOtherFamily } from "./connection_errors.ts";
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
    // noDelay: amqplib writes a message over 2 KiB (a batch of history events, a large
    // payload) as two writes; with Nagle's algorithm the second one waits for the broker's
    // delayed ACK of the first, 40 ms on Linux, each time.
    const socket = {
      clientProperties: { connection_name: options.name },
      timeout: options.timeout,
      family,
      autoSelectFamily: false,
      noDelay: true,
    };
    try {
      return await amqp.connect(target, socket);
    } catch (err) {
      // Only a refusal or a missing route is worth the other family; the other family's own
      // failure (often its lookup: no IPv6 address) is reported beside the first one.
      if (failures.length === 0 && !worthOtherFamily(err)) throw err;
      if (err instanceof Deno.errors.NotCapable) throw err;
      failures.push(err);
    }
  }
  const [first, second] = failures;
  // A name that no family knows is unknown: one lookup error says it.
  if (second === undefined || (isLookupFailure(first) && isLookupFailure(second))) throw first;
  throw bothFamiliesFailed(host, first, second);
}
