/**
 * The flags every CLI shares: where the broker is and which queue to use, with defaults from the
 * environment (`AMQP_URL`, `WARREN_QUEUE`).
 *
 * @module
 */
import { DEFAULT_QUEUE, QUEUE_TYPES, queueNames, type QueueType } from "../../broker/topology.ts";
import { DEFAULT_URL, parseUrls } from "../../broker/urls.ts";
import { choiceFlag, type ParsedArgs, stringFlag } from "../shared/args.ts";
import { readEnv } from "../shared/env.ts";

/** Flags that take a value, shared by the CLIs. */
export const BROKER_STRING_FLAGS = ["url", "queue", "queue-type"] as const;

/** Help lines for the shared flags. */
export const BROKER_HELP =
  `  --url URL           broker URL; several, comma-separated, are tried in turn
                      (env AMQP_URL; default ${DEFAULT_URL})
  --queue NAME        work queue (env WARREN_QUEUE; default ${DEFAULT_QUEUE})
  --queue-type TYPE   ${QUEUE_TYPES.join(" or ")}, for queues Warren declares (default classic)`;

/** Where to connect and which queue to use. */
export interface BrokerSettings {
  /** Broker URLs, tried in turn. */
  readonly urls: string[];
  /** The work queue. */
  readonly queue: string;
  /** The queue type for queues Warren declares. */
  readonly queueType: QueueType;
}

/** Reads the shared flags, falling back to the environment, then to the defaults. */
export function brokerSettings(flags: ParsedArgs["flags"]): BrokerSettings {
  const url = stringFlag(flags, "url");
  const urls = url !== undefined
    ? parseUrls(url, "--url")
    : parseUrls(readEnv("AMQP_URL", "--url") ?? DEFAULT_URL, "AMQP_URL");
  const queue = stringFlag(flags, "queue") ?? readEnv("WARREN_QUEUE", "--queue") ?? DEFAULT_QUEUE;
  queueNames(queue); // refuses names that are not Warren's to take, before anything connects
  const queueType = choiceFlag(flags, "queue-type", QUEUE_TYPES, "classic");
  return { urls, queue, queueType };
}
