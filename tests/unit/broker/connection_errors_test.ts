import { assertEquals } from "@std/assert";
import {
  bothFamiliesFailed,
  isLookupFailure,
  worthOtherFamily,
} from "../../../src/broker/connection_errors.ts";

function socketError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const refusedV4 = socketError("connect ECONNREFUSED 127.0.0.1:5672", "ECONNREFUSED");

Deno.test("bothFamiliesFailed() keeps the IPv4 refusal when the IPv6 lookup fails", () => {
  const lookup = socketError("getaddrinfo EAI_AGAIN localhost", "EAI_AGAIN");
  const err = bothFamiliesFailed("localhost", refusedV4, lookup);
  assertEquals(
    err.message,
    "over IPv4: connect ECONNREFUSED 127.0.0.1:5672; over IPv6: no IPv6 address for localhost " +
      "(getaddrinfo EAI_AGAIN localhost)",
  );
  assertEquals((err as Error & { code?: string }).code, "ECONNREFUSED");
  assertEquals(err.cause, refusedV4);
});

Deno.test("bothFamiliesFailed() reports a refusal on each family", () => {
  const refusedV6 = socketError("connect ECONNREFUSED ::1:5672", "ECONNREFUSED");
  assertEquals(
    bothFamiliesFailed("localhost", refusedV4, refusedV6).message,
    "over IPv4: connect ECONNREFUSED 127.0.0.1:5672; over IPv6: connect ECONNREFUSED ::1:5672",
  );
});

Deno.test("isLookupFailure() tells a failed lookup from a failed dial", () => {
  for (const code of ["ENOTFOUND", "EAI_AGAIN", "EAI_NODATA"]) {
    assertEquals(isLookupFailure(socketError("getaddrinfo", code)), true, code);
  }
  assertEquals(isLookupFailure(refusedV4), false);
  assertEquals(worthOtherFamily(refusedV4), true);
  assertEquals(worthOtherFamily(socketError("getaddrinfo EAI_AGAIN x", "EAI_AGAIN")), false);
});
