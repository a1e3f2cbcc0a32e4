/**
 * Broker URLs: parsing a list, redacting passwords, and adding defaults.
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";

/** The broker URL used when none is given. */
export const DEFAULT_URL = "amqp://localhost:5672";

/** The URL with its password replaced by `***`, safe to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.href.replace(/\/$/, "");
  } catch {
    // Not a URL: hide everything from the first ':' after the user name to the last '@'.
    return url.replace(/^([^/]*\/\/[^:/@]*):.*@/s, "$1:***@");
  }
}

/** Replaces each of the URLs' passwords in `text` by `***`, as written and as decoded. */
export function redactText(text: string, urls: readonly string[]): string {
  const secrets = urls.flatMap(passwordsOf).sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of secrets) out = out.replaceAll(secret, "***");
  return out;
}

function passwordsOf(url: string): string[] {
  const forms = new Set<string>();
  const written = /^[^/]*\/\/[^:/@]*:(.*)@/s.exec(url)?.[1];
  if (written) forms.add(written);
  try {
    const parsed = new URL(url).password;
    if (parsed) forms.add(parsed);
  } catch {
    // not a URL: the written form is all there is
  }
  for (const form of [...forms]) {
    try {
      forms.add(decodeURIComponent(form));
    } catch {
      // a malformed escape: keep the written form
    }
  }
  return [...forms].filter((form) => form !== "");
}

/**
 * Splits a comma-separated list of broker URLs and checks each one; `source` names where the
 * list came from in errors (a flag or an environment variable).
 */
export function parseUrls(value: string | readonly string[], source: string): string[] {
  const items = (typeof value === "string" ? [value] : value)
    .flatMap((item) => item.split(","))
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (items.length === 0) {
    throw new ConfigError(`Cannot connect as ${source} holds no broker URL: give amqp://host:port`);
  }
  return items.map((item) => {
    let parsed: URL;
    try {
      parsed = new URL(item);
    } catch {
      throw new ConfigError(
        `Cannot connect as ${source} holds '${
          redactUrl(item)
        }', which is not a URL: give amqp://host:port`,
      );
    }
    if (parsed.protocol !== "amqp:" && parsed.protocol !== "amqps:") {
      throw new ConfigError(
        `Cannot connect as ${source} holds '${
          redactUrl(item)
        }': the scheme must be amqp:// or amqps://, not ${parsed.protocol}//`,
      );
    }
    return item;
  });
}

/** The host and port of a broker URL, as `--allow-net` names them. */
export function hostPort(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === "amqps:" ? "5671" : "5672");
  return `${parsed.hostname}:${port}`;
}

/** The URL with a heartbeat interval (seconds) unless it already sets one. */
export function withHeartbeat(url: string, seconds: number): string {
  const parsed = new URL(url);
  if (parsed.searchParams.has("heartbeat")) return url;
  parsed.searchParams.set("heartbeat", String(seconds));
  return parsed.href;
}
