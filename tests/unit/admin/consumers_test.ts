/**
 * The management API's consumers, read item by item: answers recorded in the shape RabbitMQ
 * 3.10.8 gives once a worker has stopped (a consumer of `Q.control` kept with an empty
 * `channel_details` list), served by a fake `fetch`.
 *
 * @module
 */
import { assertEquals, assertRejects } from "@std/assert";
import { managementConsumers } from "../../../src/admin/consumers.ts";
import { ManagementError } from "../../../src/admin/management.ts";
import { queueNames } from "../../../src/broker/topology.ts";

const fixture = (name: string) =>
  Deno.readTextFile(new URL(`../../fixtures/management/${name}`, import.meta.url));

/** A `fetch` that answers each path with a body. */
function fakeFetch(bodies: Record<string, string>): typeof fetch {
  return (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const key = Object.keys(bodies).find((path) => url.pathname.startsWith(path));
    return Promise.resolve(
      new Response(key === undefined ? "{}" : bodies[key], {
        status: key === undefined ? 404 : 200,
        headers: { "content-type": "application/json" },
      }),
    );
  };
}

Deno.test("managementConsumers() reads every consumer when one has an empty channel_details list", async () => {
  const consumers = await managementConsumers(queueNames("jobs"), {
    url: "http://127.0.0.1:15672",
    fetch: fakeFetch({
      "/api/consumers/": await fixture("consumers_3.10_closed_channel.json"),
      "/api/vhosts/": await fixture("connections_3.10.json"),
    }),
  });
  assertEquals(consumers, [
    {
      worker: "w-1",
      connection: "warren worker w-1",
      peer: "127.0.0.1:50112",
      prefetch: 10,
    },
    { worker: null, connection: "", peer: null, prefetch: 1 },
  ]);
});

Deno.test("managementConsumers() still refuses an answer that is not a list", async () => {
  await assertRejects(
    () =>
      managementConsumers(queueNames("jobs"), {
        url: "http://127.0.0.1:15672",
        fetch: fakeFetch({ "/api/consumers/": `{"error":"odd"}`, "/api/vhosts/": "[]" }),
      }),
    ManagementError,
    "unexpected shape: not a list",
  );
});
