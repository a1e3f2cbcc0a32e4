/**
 * Connection errors translated: what amqplib, `node:net`, `node:tls` and Deno's permissions
 * throw when connecting, turned into errors that say what is wrong and what to do. Only errors
 * that no retry can mend are translated; others are retried.
 *
 * @module
 */
import { ConnectionError } from "../errors/connection_error.ts";
import { describeError } from "../errors/describe.ts";
import { PermissionError } from "../errors/permission_error.ts";
import { permissionAdvice } from "../util/permissions.ts";
import { hostPort, redactUrl } from "./urls.ts";

/**
 * `node:tls` error codes of a broker certificate the client does not accept: retrying cannot
 * mend them, and "is it running there?" would mislead.
 */
const TLS_TRUST_CODES: ReadonlySet<string> = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The virtual host a URL names, as the broker sees it (`/` when the path is empty). */
function vhostOf(url: string): string {
  try {
    const path = new URL(url).pathname;
    return path === "" || path === "/" ? "/" : decodeURIComponent(path.slice(1));
  } catch {
    return "/";
  }
}

/**
 * The error to report for `err`, met connecting to `url`, when no retry can mend it: a login
 * or virtual host the broker refuses, a permission Deno denies, a certificate not trusted.
 * `undefined` for errors worth retrying (refused, timed out, reset).
 */
export function permanentError(err: unknown, url: string): Error | undefined {
  const text = describeError(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  if (err instanceof Deno.errors.NotCapable || code === "EPERM") {
    const flag = `--allow-net=${hostPort(url)}`;
    return new PermissionError(
      `Deno denied network access to ${hostPort(url)}: ${
        permissionAdvice(flag, `WARREN_COMPILE_NET=${hostPort(url)} deno task compile`)
      }`,
      { cause: err },
    );
  }
  if (typeof code === "string" && TLS_TRUST_CODES.has(code)) {
    return new ConnectionError(
      `Cannot connect to RabbitMQ at ${redactUrl(url)} over TLS: ${text}. ${
        code === "ERR_TLS_CERT_ALTNAME_INVALID"
          ? "Use the host name the broker's certificate names"
          : "If a private CA signed the broker's certificate, trust it: deno run --cert ca.pem, or DENO_CERT=ca.pem"
      }`,
      { cause: err },
    );
  }
  if (text.includes("ACCESS-REFUSED") || text.includes("ACCESS_REFUSED")) {
    return new ConnectionError(
      `RabbitMQ at ${redactUrl(url)} refused the login: check the user and password in the URL`,
      { cause: err },
    );
  }
  // RabbitMQ answers connection.open for a virtual host that does not exist, or that the user
  // may not use, with connection.close (530 NOT_ALLOWED); amqplib reports only the frame.
  if (
    /Expected ConnectionOpenOk; got <ConnectionClose/.test(text) ||
    (text.includes("NOT-ALLOWED") && text.includes("vhost"))
  ) {
    return new ConnectionError(
      `RabbitMQ at ${redactUrl(url)} refused the virtual host '${
        vhostOf(url)
      }': it does not exist there, or the user may not access it. Check the URL's path (empty for the default '/') and the user's permissions (rabbitmqctl list_permissions -p VHOST)`,
      { cause: err },
    );
  }
  return undefined;
}

/** Socket errors after which the same host may still answer on its other address family. */
const OTHER_FAMILY_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EADDRNOTAVAIL",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EAI_ADDRFAMILY",
  "EAI_NODATA",
]);

/** Whether connecting over the other address family (IPv6 after IPv4) may still work. */
export function worthOtherFamily(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && OTHER_FAMILY_CODES.has(code);
}

/** `getaddrinfo` error codes: the host name has no address of that family, or none was found. */
const LOOKUP_CODES: ReadonlySet<string> = new Set([
  "ENOTFOUND",
  "EAI_NODATA",
  "EAI_AGAIN",
  "EAI_ADDRFAMILY",
  "EAI_FAIL",
  "EAI_NONAME",
]);

/** Whether `err` says that looking the host up failed (no address), not that dialling did. */
export function isLookupFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && LOOKUP_CODES.has(code);
}

/**
 * One error for a host dialled over IPv4 and then over IPv6 that failed on both: what happened
 * on each family (`over IPv4: connect ECONNREFUSED 127.0.0.1:5672; over IPv6: no IPv6 address
 * for localhost (getaddrinfo EAI_AGAIN localhost)`), so that a failed IPv6 lookup never hides
 * the IPv4 refusal. Its `code` is the IPv4 error's; the IPv4 error is its cause.
 */
export function bothFamiliesFailed(host: string, ipv4: unknown, ipv6: unknown): Error {
  const v6 = isLookupFailure(ipv6)
    ? `no IPv6 address for ${host} (${describeError(ipv6)})`
    : describeError(ipv6);
  const err = new Error(`over IPv4: ${describeError(ipv4)}; over IPv6: ${v6}`, { cause: ipv4 });
  const code = (ipv4 as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? Object.assign(err, { code }) : err;
}
