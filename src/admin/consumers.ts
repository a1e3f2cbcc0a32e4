/**
 * Who consumes a work queue, from the management API: each consumer's connection, and the
 * worker id when it is a Warren worker (which names its connection `warren worker <id>`: the
 * name a client gives, which the API lists with the connections, not with the consumers). AMQP
 * itself gives the number of consumers only.
 *
 * @module
 */
import { z } from "../deps/zod.ts";
import type { QueueNames } from "../broker/topology.ts";
import {
  ManagementError,
  managementGet,
  type ManagementOptions,
  tolerantItems,
} from "./management.ts";

/** One consumer of a work queue. */
export interface ConsumerInfo {
  /** The Warren worker's id, or `null` for another client. */
  readonly worker: string | null;
  /** The name of its connection. */
  readonly connection: string;
  /** Where it connects from (`host:port`), when known. */
  readonly peer: string | null;
  /** Its prefetch count, when known. */
  readonly prefetch: number | null;
}

/**
 * A consumer's channel. RabbitMQ 3.10 keeps listing a consumer of a stream whose channel has
 * closed with `"channel_details": []` (an empty list, not an object): read as nothing known.
 */
const ChannelObject = z.object({
  connection_name: z.string().optional().catch(undefined),
  peer_host: z.string().optional().catch(undefined),
  peer_port: z.number().optional().catch(undefined),
});
const ChannelDetails = z.union([
  ChannelObject,
  z.array(z.unknown()).transform((): z.output<typeof ChannelObject> => ({})),
]).optional().catch(undefined);

const Consumer = z.object({
  queue: z.object({ name: z.string() }),
  prefetch_count: z.number().optional().catch(undefined),
  channel_details: ChannelDetails,
});

const Connection = z.object({
  name: z.string(),
  user_provided_name: z.string().optional().catch(undefined),
  client_properties: z.object({ connection_name: z.string().optional() }).partial().optional()
    .catch(undefined),
});

const WORKER_CONNECTION = /^warren worker (.+)$/;

function unexpected(path: string, message: string): ManagementError {
  return new ManagementError(
    0,
    `The management API answered ${path} with JSON of an unexpected shape: ${message}`,
  );
}

/** The consumers of the work queue `names.main`, as the management API lists them. */
export async function managementConsumers(
  names: QueueNames,
  options: ManagementOptions,
): Promise<ConsumerInfo[]> {
  const [consumers, connections] = await Promise.all([
    managementGet(options, "consumers/{vhost}"),
    managementGet(options, "vhosts/{vhost}/connections", {
      columns: "name,user_provided_name,client_properties.connection_name",
    }),
  ]);
  const parsed = tolerantItems(Consumer, consumers, "/api/consumers", unexpected);
  const named = tolerantItems(Connection, connections, "/api/connections", unexpected);
  const given = new Map(
    named.items.map((c) => [
      c.name,
      c.user_provided_name ?? c.client_properties?.connection_name ?? c.name,
    ]),
  );
  return parsed.items.filter((c) => c.queue.name === names.main).map((c) => {
    const internal = c.channel_details?.connection_name ?? "";
    const connection = given.get(internal) ?? internal;
    const { peer_host: host, peer_port: port } = c.channel_details ?? {};
    return {
      worker: WORKER_CONNECTION.exec(connection)?.[1] ?? null,
      connection,
      peer: host === undefined ? null : port === undefined ? host : `${host}:${port}`,
      prefetch: c.prefetch_count ?? null,
    };
  });
}
