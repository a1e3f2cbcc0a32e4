/**
 * `deno task compile` (scripts/compile.ts): the `deno compile` command lines it builds (always
 * tested), what it says when no `denort` runtime can be had (always tested, with a `DENORT_BIN`
 * that does not exist), and the compiled producer and worker running end to end against the
 * broker (only where a denort runtime is available: `DENORT_BIN`, or a download that works).
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import {
  binaryName,
  classifyFailure,
  compileCommands,
  PROGRAM_ENV,
  PROGRAMS,
  type Target,
  TARGETS,
  YOUNG_GENERATION_V8_FLAG,
} from "../scripts/compile.ts";
import { rawClient, uniqueQueue } from "./_helpers/broker.ts";
import { ADMIN_FLAGS, PRODUCER_FLAGS, rootPath, WORKER_FLAGS } from "./_helpers/cli.ts";

const HOST = Deno.build.target as Target;
const decoder = new TextDecoder();

/** Runs `deno <args>` from the repository root. */
async function deno(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd: rootPath(""),
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/**
 * Whether `deno compile` can make a binary here: compiles and runs a one-line program. Never
 * fakes a runtime: without `DENORT_BIN`, `deno compile` downloads denort from dl.deno.land.
 */
async function probeRuntime(): Promise<{ available: true } | { available: false; why: string }> {
  const dir = await Deno.makeTempDir({ prefix: "warren_compile_probe_" });
  try {
    await Deno.writeTextFile(`${dir}/probe.ts`, 'console.log("denort works");\n');
    const output = `${dir}/probe${Deno.build.os === "windows" ? ".exe" : ""}`;
    const compiled = await deno([
      "compile",
      "--no-config",
      "--no-check",
      "--output",
      output,
      `${dir}/probe.ts`,
    ]);
    if (compiled.code !== 0) {
      return { available: false, why: classifyFailure(compiled.stderr).detail };
    }
    const ran = await new Deno.Command(output, { stdout: "piped", stderr: "piped" }).output();
    const said = decoder.decode(ran.stdout) + decoder.decode(ran.stderr);
    if (!said.includes("denort works")) {
      return { available: false, why: `the probe binary did not run: ${said.trim()}` };
    }
    return { available: true };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const started = performance.now();
const probe = await probeRuntime();
const denortBin = Deno.env.get("DENORT_BIN");
// With DENORT_BIN set, a runtime was promised: the test runs, and fails if it does not work.
const skip = !probe.available && !denortBin;
if (!probe.available) {
  console.log(
    `compile_test: ${
      skip ? "ignoring" : "running (DENORT_BIN is set)"
    } the end-to-end test of compiled binaries: deno compile has no denort runtime here (${probe.why}, after ${
      Math.round(performance.now() - started)
    } ms). Set DENORT_BIN to a denort for ${HOST}, or run where dl.deno.land is reachable.`,
  );
}

Deno.test("compileCommands() builds one deno compile line per program and target", async (t) => {
  const commands = compileCommands({ programs: PROGRAMS, targets: TARGETS });

  await t.step("every target and program, named after both, .exe on Windows only", () => {
    assertEquals(commands.length, PROGRAMS.length * TARGETS.length);
    assertEquals(
      commands.map((c) => c.output),
      TARGETS.flatMap((target) =>
        PROGRAMS.map((program) =>
          `dist/warren-${program}-${target}${target === "x86_64-pc-windows-msvc" ? ".exe" : ""}`
        )
      ),
    );
    assertEquals(
      binaryName("worker", "x86_64-unknown-linux-gnu"),
      "warren-worker-x86_64-unknown-linux-gnu",
    );
    assertEquals(
      binaryName("admin", "x86_64-pc-windows-msvc"),
      "warren-admin-x86_64-pc-windows-msvc.exe",
    );
    for (const command of commands) {
      assertEquals(command.args.slice(0, 5), [
        "compile",
        "--output",
        command.output,
        "--target",
        command.target,
      ]);
      assertEquals(command.args.at(-1), `${command.program}.ts`);
    }
  });

  await t.step("permissions: any host by default, the CLIs' env variables, nothing more", () => {
    const byProgram = (program: string) => commands.find((c) => c.program === program)!.args;
    const permissions = (args: readonly string[]) =>
      args.filter((arg) =>
        arg.startsWith("--allow-") || arg.startsWith("-A") || arg.startsWith("--deny-")
      );
    assertEquals(permissions(byProgram("producer")), [
      "--allow-net",
      "--allow-env=AMQP_URL,WARREN_QUEUE",
    ]);
    assertEquals(permissions(byProgram("worker")), [
      "--allow-net",
      "--allow-env=AMQP_URL,WARREN_QUEUE",
      "--allow-sys=hostname",
    ]);
    // The producer's and the worker's small young generation.
    for (const program of ["producer", "worker"]) {
      assert(byProgram(program).includes(YOUNG_GENERATION_V8_FLAG), program);
    }
    assertEquals(permissions(byProgram("admin")), [
      "--allow-net",
      "--allow-env=AMQP_URL,WARREN_QUEUE,WARREN_MANAGEMENT_URL",
    ]);
    assertEquals(permissions(byProgram("scheduler")), [
      "--allow-net",
      "--allow-env=AMQP_URL,WARREN_QUEUE",
      "--allow-read",
    ]);
  });

  await t.step(
    "the binaries read the environment variables the README allows (admin: plus the management URL)",
    () => {
      const envFlag = (flags: readonly string[]) => flags.find((f) => f.startsWith("--allow-env="));
      assertEquals(`--allow-env=${PROGRAM_ENV.producer.join(",")}`, envFlag(PRODUCER_FLAGS));
      assertEquals(`--allow-env=${PROGRAM_ENV.worker.join(",")}`, envFlag(WORKER_FLAGS));
      assertEquals(
        `--allow-env=${PROGRAM_ENV.admin.filter((v) => v !== "WARREN_MANAGEMENT_URL").join(",")}`,
        envFlag(ADMIN_FLAGS),
      );
    },
  );

  await t.step("WARREN_COMPILE_NET's hosts pin --allow-net", () => {
    const pinned = compileCommands({
      programs: ["producer"],
      targets: ["aarch64-apple-darwin"],
      net: ["rabbitmq:5672", "10.0.0.5:5671"],
      outDir: "/tmp/out/",
    });
    assertEquals(pinned.length, 1);
    assertEquals(pinned[0]!.output, "/tmp/out/warren-producer-aarch64-apple-darwin");
    assert(pinned[0]!.args.includes("--allow-net=rabbitmq:5672,10.0.0.5:5671"));
    assert(!pinned[0]!.args.includes("--allow-net"));
  });

  await t.step("the worker embeds its thread module and the catalog, which exist", async () => {
    const worker = commands.find((c) => c.program === "worker")!.args;
    const includes = worker.flatMap((arg, i) => arg === "--include" ? [worker[i + 1]!] : []);
    assertEquals(includes, ["src/worker/threads/thread_main.ts", "tasks/handlers/mod.ts"]);
    for (const file of includes) assert((await Deno.stat(rootPath(file))).isFile, file);
    for (const program of ["producer", "admin", "scheduler"]) {
      assert(!commands.find((c) => c.program === program)!.args.includes("--include"));
    }
  });
});

Deno.test("classifyFailure() tells a missing denort runtime from other compile errors", () => {
  // What deno compile 2.9 printed here, with no network and with a DENORT_BIN that is not there.
  const download = `Compile worker.ts to dist/warren-worker-x86_64-unknown-linux-gnu
Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip
error: Writing deno compile executable to temporary file 'dist/w.tmp-6ba7b514963e7379'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)
    3: dns error
    4: failed to lookup address information: Name or service not known

Stack backtrace:
   0: <unknown>
`;
  assertEquals(classifyFailure(download), {
    kind: "runtime",
    detail: "failed to lookup address information: Name or service not known",
  });
  const denortBinMissing =
    `error: Writing deno compile executable to temporary file 'a.tmp-b171c378289ad9ea'

Caused by:
    0: Could not find denort at '/nonexistent'
    1: No such file or directory (os error 2)
`;
  assertEquals(classifyFailure(denortBinMissing).kind, "runtime");
  const typeError = `Check worker.ts
TS2322 [ERROR]: Type 'string' is not assignable to type 'number'.
    at file:///work/main/worker.ts:3:7
error: Type checking failed.`;
  assertEquals(classifyFailure(typeError).kind, "other");
});

Deno.test("deno task compile names the missing denort runtime and exits 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "warren_compile_" });
  try {
    const begun = performance.now();
    const result = await deno([
      "run",
      "--quiet",
      "--allow-read=.",
      `--allow-write=${dir}`,
      "--allow-env=WARREN_COMPILE_NET,DENORT_BIN",
      "--allow-run=deno",
      "scripts/compile.ts",
      "--target",
      HOST,
      "--only",
      "producer",
      "--out-dir",
      dir,
    ], { DENORT_BIN: "/nonexistent/denort" });
    const ms = performance.now() - begun;
    assertEquals(result.code, 1, result.stderr);
    assertStringIncludes(result.stdout, "WARREN_COMPILE_NET=host:port");
    const lines = result.stderr.trim().split("\n");
    assertEquals(lines.length, 2, result.stderr);
    assertMatch(
      lines[0]!,
      new RegExp(`^error: no denort runtime for ${HOST} \\(from DENORT_BIN=/nonexistent/denort\\)`),
    );
    assertStringIncludes(lines[1]!, "built 0 of 1 binaries");
    assertStringIncludes(lines[1]!, "DENORT_BIN");
    assert(!result.stderr.includes("Uncaught"), result.stderr);
    assertEquals([...Deno.readDirSync(dir)], [], "no binary, not even a partial one");
    console.log(`  (the failing build took ${Math.round(ms)} ms)`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A compiled worker binary, whose JSON log lines can be awaited. */
class BinaryProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly #child: Deno.ChildProcess;
  readonly #stderr: Promise<string>;
  readonly #pump: Promise<void>;
  #wake: (() => void) | undefined;
  #ended = false;

  constructor(path: string, args: readonly string[]) {
    this.#child = new Deno.Command(path, {
      args: [...args],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stderr = new Response(this.#child.stderr).text();
    this.#pump = this.#read();
  }

  async #read(): Promise<void> {
    let rest = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const line of parts) if (line.trim()) this.lines.push(JSON.parse(line));
      this.#wake?.();
    }
    this.#ended = true;
    this.#wake?.();
  }

  async waitFor(
    what: string,
    predicate: (line: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = this.lines.find(predicate);
      if (found) return found;
      if (this.#ended || Date.now() > deadline) {
        throw new Error(
          `no ${what}: ${JSON.stringify(this.lines.slice(-5))}\n${await this.stop()}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, deadline - Date.now() + 1);
        this.#wake = done;
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  }

  kill(signal: Deno.Signal): void {
    if (!this.#ended) this.#child.kill(signal);
  }

  async exit(): Promise<{ code: number; stderr: string }> {
    const { code } = await this.#child.status;
    await this.#pump;
    return { code, stderr: await this.#stderr };
  }

  async stop(): Promise<string> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
    return (await this.exit()).stderr;
  }
}

Deno.test({
  name:
    "compiled producer and worker binaries run a task end to end, with threads, from their embedded files",
  ignore: skip,
  async fn() {
    if (!probe.available) throw new Error(`DENORT_BIN=${denortBin} does not work: ${probe.why}`);
    const dir = await Deno.makeTempDir({ prefix: "warren_compile_" });
    const queue = uniqueQueue("warren_compiled");
    await using client = await rawClient();
    client.track(queue);
    try {
      const built = await deno([
        "run",
        "--quiet",
        "--allow-read=.",
        `--allow-write=${dir}`,
        "--allow-env=WARREN_COMPILE_NET,DENORT_BIN",
        "--allow-run=deno",
        "scripts/compile.ts",
        "--target",
        HOST,
        "--only",
        "producer",
        "--only",
        "worker",
        "--out-dir",
        dir,
      ], { WARREN_COMPILE_NET: "localhost:5672" });
      assertEquals(built.code, 0, built.stderr);
      const producer = `${dir}/${binaryName("producer", HOST)}`;
      const worker = new BinaryProcess(`${dir}/${binaryName("worker", HOST)}`, [
        "--queue",
        queue,
        "--log-format",
        "json",
        "--threads",
        "2",
      ]);
      try {
        await worker.waitFor("worker.started", (l) => l.event === "worker.started");
        for (
          const args of [["sum", "--start", "1", "--end", "10000"], ["primes", "--limit", "1000"]]
        ) {
          const { code, stdout, stderr } = await new Deno.Command(producer, {
            args: [...args, "--queue", queue],
            stdout: "piped",
            stderr: "piped",
          }).output();
          assertEquals(code, 0, decoder.decode(stderr));
          assertMatch(decoder.decode(stdout), new RegExp(`^enqueued ${args[0]} `));
        }
        const sum = await worker.waitFor(
          "sum done",
          (l) => l.event === "task.done" && l.task === "sum",
        );
        assertEquals(sum.result, "50005000");
        // primes is a CPU task: it ran in a thread loaded from the binary's embedded files.
        const primes = await worker.waitFor(
          "primes done",
          (l) => l.event === "task.done" && l.task === "primes",
        );
        assertEquals(primes.result, 168);
        worker.kill("SIGTERM");
        const { code, stderr } = await worker.exit();
        assertEquals(code, 0, stderr);
      } finally {
        await worker.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
