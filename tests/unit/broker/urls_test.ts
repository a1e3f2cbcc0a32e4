import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { ConfigError } from "../../../src/errors/config_error.ts";
import {
  DEFAULT_URL,
  hostPort,
  parseUrls,
  redactText,
  redactUrl,
  withHeartbeat,
} from "../../../src/broker/urls.ts";

/** Asserts that `text` contains no trace of `secret`. */
function assertNoLeak(text: string, secret: string, what: string) {
  assert(!text.includes(secret), `${what} leaks ${JSON.stringify(secret)}: ${text}`);
}

Deno.test("redactUrl() replaces the password and keeps the rest", async (t) => {
  const cases: Array<[string, string]> = [
    ["amqp://guest:guest@localhost:5672", "amqp://guest:***@localhost:5672"],
    ["amqps://user:s3cret@rabbit.example.com/vhost", "amqps://user:***@rabbit.example.com/vhost"],
    ["amqp://user:secret@host/%2F?heartbeat=10", "amqp://user:***@host/%2F?heartbeat=10"],
    ["amqp://:secret@host", "amqp://:***@host"],
    ["amqp://localhost:5672", "amqp://localhost:5672"],
    ["amqp://user@localhost", "amqp://user@localhost"],
  ];
  for (const [url, expected] of cases) {
    await t.step(url, () => assertEquals(redactUrl(url), expected));
  }
});

Deno.test("redactUrl() hides URL-encoded passwords and passwords with special characters", () => {
  const cases: Array<[string, string[]]> = [
    ["amqp://u:p%40ss%2Fw0rd@host", ["p%40ss", "w0rd", "p@ss"]],
    ["amqp://u:p@ss@host:5672", ["p@ss", "ss@"]],
    ["amqp://u:%zzsecret@host", ["secret"]],
    ["amqp://u:pa ss@host", ["pa ss", "pa%20ss"]],
  ];
  for (const [url, secrets] of cases) {
    const out = redactUrl(url);
    for (const secret of secrets) assertNoLeak(out, secret, `redactUrl(${url})`);
    assertStringIncludes(out, "***");
  }
});

Deno.test("redactUrl() hides the password of a string that is not a valid URL", async (t) => {
  const cases: Array<[string, string, string]> = [
    ["a port out of range", "amqp://user:secret@host:99999", "secret"],
    ["a port out of range, with a vhost", "amqp://user:secret@host:99999/vhost", "secret"],
    ["an unencoded '/' in the password", "amqp://user:se/cret@host:99999", "cret"],
    ["an unencoded '@' in the password", "amqp://user:p@ss@host:99999", "ss@"],
  ];
  for (const [label, url, secret] of cases) {
    await t.step(label, () => assertNoLeak(redactUrl(url), secret, `redactUrl(${url})`));
  }
});

Deno.test("redactText() replaces each URL's password wherever it appears in the text", async (t) => {
  await t.step("plain passwords", () => {
    const urls = ["amqp://a:first-secret@h1", "amqp://b:second-secret@h2", "amqp://h3"];
    const text = "h1 said first-secret; h2 said second-secret twice: second-secret";
    assertEquals(redactText(text, urls), "h1 said ***; h2 said *** twice: ***");
  });
  await t.step("the decoded form of a URL-encoded password", () => {
    const out = redactText("login failed for p@ss/word", ["amqp://u:p%40ss%2Fword@h"]);
    assertEquals(out, "login failed for ***");
  });
  await t.step("the encoded form of a URL-encoded password, as in a quoted URL", () => {
    const url = "amqp://u:p%40ss%2Fword@h";
    const out = redactText(`cannot reach ${url}`, [url]);
    assertNoLeak(out, "p%40ss%2Fword", "redactText");
    assertNoLeak(out, "ss%2Fword", "redactText");
  });
  await t.step("a password with a malformed percent escape", () => {
    const url = "amqp://u:%zzsecret@h";
    assertNoLeak(redactText(`cannot reach ${url}`, [url]), "secret", "redactText");
  });
  await t.step("text without any password is unchanged", () => {
    assertEquals(
      redactText("connection refused", ["amqp://u:pw@h", "amqp://h"]),
      "connection refused",
    );
    assertEquals(redactText("x", []), "x");
  });
});

Deno.test("parseUrls() splits comma-separated lists and trims them", () => {
  assertEquals(parseUrls("amqp://a", "--url"), ["amqp://a"]);
  assertEquals(parseUrls("amqp://a, amqps://b:5671 ,amqp://c", "--url"), [
    "amqp://a",
    "amqps://b:5671",
    "amqp://c",
  ]);
  assertEquals(parseUrls(["amqp://a,amqp://b", "amqp://c"], "--url"), [
    "amqp://a",
    "amqp://b",
    "amqp://c",
  ]);
  assertEquals(parseUrls("amqp://a,,", "WARREN_URL"), ["amqp://a"]);
  assertEquals(parseUrls(DEFAULT_URL, "default"), ["amqp://localhost:5672"]);
});

Deno.test("parseUrls() refuses an empty list, naming where it came from", () => {
  for (const value of ["", " , ", []]) {
    const err = assertThrows(() => parseUrls(value, "WARREN_URL"), ConfigError);
    assertStringIncludes(err.message, "WARREN_URL holds no broker URL");
    assertStringIncludes(err.message, "give amqp://host:port");
  }
});

Deno.test("parseUrls() refuses other schemes, naming the source and the scheme", () => {
  for (
    const [url, scheme] of [["http://host", "http:"], ["amqp1://host", "amqp1:"], [
      "localhost:5672",
      "localhost:",
    ]]
  ) {
    const err = assertThrows(() => parseUrls(`amqp://ok,${url}`, "--url"), ConfigError);
    assertStringIncludes(err.message, "--url holds");
    assertStringIncludes(err.message, "the scheme must be amqp:// or amqps://");
    assertStringIncludes(err.message, `not ${scheme}//`);
  }
});

Deno.test("parseUrls() refuses garbage, naming the source", () => {
  for (const value of ["not a url", "amqp://host:99999", "://"]) {
    const err = assertThrows(() => parseUrls(value, "WARREN_URL"), ConfigError);
    assertStringIncludes(err.message, "WARREN_URL holds");
    assertStringIncludes(err.message, "which is not a URL: give amqp://host:port");
  }
});

Deno.test("parseUrls() errors never show a password", () => {
  const cases: Array<[string, string]> = [
    ["http://user:topsecret@host", "topsecret"],
    ["amqp://user:topsecret@host:99999", "topsecret"],
    ["amqp://user:top/secret@host:99999", "secret"],
  ];
  for (const [url, secret] of cases) {
    const err = assertThrows(() => parseUrls(url, "--url"), ConfigError);
    assertNoLeak(err.message, secret, `parseUrls(${url}) error`);
  }
});

Deno.test("hostPort() gives host:port, with AMQP's default ports", () => {
  assertEquals(hostPort("amqp://localhost"), "localhost:5672");
  assertEquals(hostPort("amqps://rabbit.example.com"), "rabbit.example.com:5671");
  assertEquals(hostPort("amqp://user:pw@10.0.0.5:5673/vhost"), "10.0.0.5:5673");
  assertEquals(hostPort("amqps://h:5672"), "h:5672");
  assertEquals(hostPort("amqp://[::1]"), "[::1]:5672");
});

Deno.test("withHeartbeat() adds a heartbeat unless the URL sets one", () => {
  assertEquals(withHeartbeat("amqp://localhost:5672", 30), "amqp://localhost:5672?heartbeat=30");
  assertEquals(
    withHeartbeat("amqp://u:p%40ss@h/vhost?frameMax=8192", 15),
    "amqp://u:p%40ss@h/vhost?frameMax=8192&heartbeat=15",
  );
  for (
    const url of ["amqp://h?heartbeat=10", "amqp://h?heartbeat=0", "amqp://h/v?x=1&heartbeat=5"]
  ) {
    assertEquals(withHeartbeat(url, 60), url);
  }
});
