/**
 * Free TCP ports on the loopback interface, for servers a test starts (a metrics endpoint, a
 * private RabbitMQ node's listeners) or for a port that refuses connections.
 *
 * @module
 */

/**
 * A port on 127.0.0.1 that the kernel just gave out, so nothing listens on it now (another
 * process may take it before the caller binds it). It is never in 35672..35682, the range
 * `rabbitmqctl` binds for its Erlang distribution, where a private RabbitMQ node's tooling
 * could take it.
 */
export function freePort(): number {
  for (;;) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr;
    listener.close();
    if (port < 35672 || port > 35682) return port;
  }
}
