/**
 * The dashboard's rules of access, as pure functions: which addresses count as loopback (where
 * no token is needed), comparing a token in constant time, whether a request comes from the
 * dashboard's own origin, and the headers every response carries.
 *
 * @module
 */

/** The name of the cookie that carries the token once a browser has given it. */
export const TOKEN_COOKIE = "warren_dashboard_token";

/**
 * The Content-Security-Policy of every response: scripts, styles and data from the dashboard
 * itself only, no inline script or style element, no frames, no forms posting anywhere.
 */
export const CONTENT_SECURITY_POLICY: string = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers set on every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/**
 * Whether `host` (a hostname or address to listen on) is a loopback address: `localhost`, an
 * address of 127.0.0.0/8, or `::1`. `0.0.0.0` and `::` listen everywhere, so they are not.
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./security.ts";
 *
 * isLoopbackHost("127.0.0.1"); // true
 * isLoopbackHost("0.0.0.0"); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost" || bare === "::1" || bare === "0:0:0:0:0:0:0:1") return true;
  const octets = bare.split(".");
  return octets.length === 4 && octets[0] === "127" &&
    octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

/**
 * Whether `given` equals `expected`, in a time that does not depend on where they differ (or
 * on their lengths): both are hashed, and the digests compared byte by byte without stopping.
 */
export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const digest = async (text: string) =>
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/**
 * The token a request carries: `Authorization: Bearer <token>`, or the dashboard's cookie;
 * `undefined` for none, and for a cookie that does not decode (a bad `%` escape).
 */
export function tokenOf(headers: Headers): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "")?.[1];
  if (bearer !== undefined) return bearer;
  for (const part of (headers.get("cookie") ?? "").split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name !== TOKEN_COOKIE) continue;
    try {
      return decodeURIComponent(value.join("="));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Whether a state-changing request comes from the dashboard's own page: its `Origin` header
 * names the same scheme, host and port as the request's URL. A browser always sends `Origin`
 * on a cross-site POST (and on a same-origin one); a request without it is refused too.
 */
export function sameOrigin(origin: string | null, requestUrl: string): boolean {
  if (origin === null || origin === "null") return false;
  try {
    return new URL(origin).origin === new URL(requestUrl).origin;
  } catch {
    return false;
  }
}

/**
 * Whether the `Host` header names the dashboard itself, when it serves without a token on
 * loopback: `localhost`, a loopback address or the host it listens on, with its port. This
 * stops DNS rebinding (a page of another site whose name was pointed at 127.0.0.1 is then
 * same-origin with itself, but sends its own name as `Host`).
 */
export function loopbackHostAllowed(
  hostHeader: string | null,
  listenHost: string,
  port: number,
): boolean {
  if (hostHeader === null) return false;
  let url: URL;
  try {
    url = new URL(`http://${hostHeader}`);
  } catch {
    return false;
  }
  const hostPort = Number(url.port || "80");
  const name = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return hostPort === port && (isLoopbackHost(name) || name === listenHost);
}
