/**
 * A throwaway certificate authority and a server certificate for `localhost` / `127.0.0.1`,
 * made with the `openssl` command at test time, for tests of TLS (`amqps://`) connections.
 *
 * The files live in a fresh temp folder that every user may read (the folder 0755, the files
 * 0644, the private keys included: they are test keys that die with the folder), so that a
 * private RabbitMQ node running as the `rabbitmq` user can load them.
 *
 * @module
 */

/** The `openssl version` line, or `undefined` when `openssl` is not installed. */
export async function opensslVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("openssl", {
      args: ["version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** The PEM files of a test PKI; disposing it deletes them. */
export interface TestPki extends AsyncDisposable {
  /** The folder holding the files. */
  readonly dir: string;
  /** The CA's certificate (what a client must trust). */
  readonly caCert: string;
  /** The server's certificate, signed by the CA, for `DNS:localhost` and `IP:127.0.0.1`. */
  readonly serverCert: string;
  /** The server's private key (unencrypted). */
  readonly serverKey: string;
}

/**
 * Makes a CA (`CN=Warren test CA`) and a server certificate it signs, both valid for one day,
 * with P-256 keys (fast to generate). Throws with openssl's stderr when a step fails.
 */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "warren-pki-" });
  const path = (name: string) => `${dir}/${name}`;
  const pki: TestPki = {
    dir,
    caCert: path("ca.pem"),
    serverCert: path("server.pem"),
    serverKey: path("server.key"),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  try {
    const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    await openssl(
      "req",
      "-x509",
      ...key,
      "-keyout",
      path("ca.key"),
      "-out",
      pki.caCert,
      "-days",
      "1",
      "-subj",
      "/CN=Warren test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
    await openssl(
      "req",
      ...key,
      "-keyout",
      pki.serverKey,
      "-out",
      path("server.csr"),
      "-subj",
      "/CN=localhost",
    );
    await Deno.writeTextFile(
      path("server.ext"),
      [
        "subjectAltName = DNS:localhost, IP:127.0.0.1",
        "basicConstraints = CA:FALSE",
        "keyUsage = digitalSignature, keyEncipherment",
        "extendedKeyUsage = serverAuth",
        "",
      ].join("\n"),
    );
    await openssl(
      "x509",
      "-req",
      "-in",
      path("server.csr"),
      "-CA",
      pki.caCert,
      "-CAkey",
      path("ca.key"),
      "-CAcreateserial",
      "-out",
      pki.serverCert,
      "-days",
      "1",
      "-extfile",
      path("server.ext"),
    );
    await Deno.chmod(dir, 0o755);
    for await (const entry of Deno.readDir(dir)) await Deno.chmod(path(entry.name), 0o644);
  } catch (err) {
    await pki[Symbol.asyncDispose]();
    throw err;
  }
  return pki;
}

async function openssl(...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`openssl ${args[0]} failed (exit ${out.code}): ${stderr}`);
  }
}
