import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { ConfigError } from "../../../src/errors/config_error.ts";
import { brokerFeatures } from "../../../src/broker/features.ts";
import {
  deadQueueOptions,
  DEFAULT_QUEUE,
  mainQueueOptions,
  parseQueueType,
  QUEUE_TYPES,
  queueNames,
} from "../../../src/broker/topology.ts";

Deno.test("queueNames() derives the dead-letter, delay-level and old retry queue names", () => {
  const names = queueNames("jobs");
  assertEquals(names.main, "jobs");
  assertEquals(names.dead, "jobs.dead");
  assertEquals(names.delay(0), "jobs.delay.0");
  assertEquals(names.delay(28), "jobs.delay.28");
  assertEquals(names.wait(0), "jobs.wait.0");
  assertEquals(names.wait(28), "jobs.wait.28");
  assertEquals(names.retry(1000), "jobs.retry.1000");
  assertEquals(names.retry(60_000), "jobs.retry.60000");
  assertEquals(names.retry(1499.6), "jobs.retry.1500", "delays are whole milliseconds");
  assertEquals(queueNames(DEFAULT_QUEUE).main, "task_queue");
});

Deno.test("queueNames() accepts names up to the length that leaves room for the suffixes", () => {
  const longest = "q".repeat(238);
  const names = queueNames(longest);
  // The longest suffix, a ten-digit delay, still fits AMQP's 255-byte limit.
  assertEquals(new TextEncoder().encode(names.retry(9_999_999_999)).length, 255);
  assertEquals(queueNames("é".repeat(119)).main.length, 119);
});

Deno.test("queueNames() rejects an empty or too long name, saying how long a name may be", () => {
  for (const name of ["", "q".repeat(239), "é".repeat(120)]) {
    const err = assertThrows(() => queueNames(name), ConfigError);
    assertStringIncludes(err.message, "a queue name must hold 1 to 238 bytes");
  }
});

Deno.test("queueNames() rejects a name with a control character or a lone surrogate, saying which", () => {
  for (
    const [name, said] of [
      ["jobs\nx", "U+000A at position 4"],
      ["\u001b[31mjobs", "U+001B at position 0"],
      ["jobs\u007f", "U+007F"],
      ["jobs\u0085", "U+0085"],
      ["jobs\ud800", "a lone surrogate"],
    ]
  ) {
    const err = assertThrows(() => queueNames(name!), ConfigError);
    assertStringIncludes(err.message, said!);
    assertEquals(err.message.includes("\n"), false, "the message shows the name escaped");
  }
  assertEquals(queueNames("jobs-é 1").main, "jobs-é 1");
});

Deno.test("queueNames() rejects names that RabbitMQ reserves", () => {
  for (const name of ["amq.", "amq.direct", "amq.gen-abc"]) {
    const err = assertThrows(() => queueNames(name), ConfigError);
    assertStringIncludes(err.message, `Cannot use queue '${name}'`);
    assertStringIncludes(err.message, "names starting with 'amq.' are reserved by RabbitMQ");
  }
  assertEquals(queueNames("amqp.jobs").main, "amqp.jobs");
  assertEquals(queueNames("my.amq.jobs").main, "my.amq.jobs");
});

Deno.test("a classic work queue is declared durable with no arguments, as a plain client does", () => {
  // queue_declare(queue=Q, durable=True) sends an empty argument table: declaring the same queue
  // with an x-queue-type argument would make one side fail with PRECONDITION_FAILED.
  const options = mainQueueOptions(queueNames("jobs"), "classic");
  assertEquals(options, { durable: true, arguments: {} });
  assertEquals("x-queue-type" in (options.arguments ?? {}), false);
  for (const version of ["3.10.8", "4.0.5"]) {
    assertEquals(deadQueueOptions("classic", brokerFeatures(version)), {
      durable: true,
      arguments: {},
    });
  }
});

Deno.test("a quorum work queue dead-letters what the broker gives up on to Q.dead", () => {
  assertEquals(mainQueueOptions(queueNames("jobs"), "quorum"), {
    durable: true,
    arguments: {
      "x-queue-type": "quorum",
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": "jobs.dead",
      "x-dead-letter-strategy": "at-least-once",
      "x-overflow": "reject-publish",
    },
  });
});

Deno.test("a quorum dead-letter queue has no delivery limit on RabbitMQ 4, and none set on 3.x", () => {
  assertEquals(deadQueueOptions("quorum", brokerFeatures("4.0.5")), {
    durable: true,
    arguments: { "x-queue-type": "quorum", "x-delivery-limit": -1 },
  });
  // On 3.x there is no limit unless set, and -1 would drop a dead letter at its first redelivery.
  assertEquals(deadQueueOptions("quorum", brokerFeatures("3.10.8")), {
    durable: true,
    arguments: { "x-queue-type": "quorum" },
  });
});

Deno.test("parseQueueType() accepts classic and quorum, and names the source otherwise", () => {
  assertEquals(QUEUE_TYPES, ["classic", "quorum"]);
  assertEquals(parseQueueType("classic", "--queue-type"), "classic");
  assertEquals(parseQueueType("quorum", "--queue-type"), "quorum");
  for (const value of ["stream", "Quorum", "", " classic"]) {
    const err = assertThrows(() => parseQueueType(value, "WARREN_QUEUE_TYPE"), ConfigError);
    assertStringIncludes(err.message, `WARREN_QUEUE_TYPE '${value}'`);
    assertStringIncludes(err.message, "must be one of classic, quorum");
  }
});
