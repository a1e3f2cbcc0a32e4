import { assertEquals, assertThrows } from "@std/assert";
import { brokerFeatures } from "../../../src/broker/features.ts";
import { checkPriority, prioritySupport } from "../../../src/broker/priorities.ts";
import { ConfigError } from "../../../src/errors/config_error.ts";

Deno.test("brokerFeatures() tells RabbitMQ 3.x, 4.0 to 4.2 and 4.3 apart", () => {
  const row = (version: string) => {
    const f = brokerFeatures(version);
    return [f.quorumDeliveryLimit, f.quorumPriorityLevels, f.quorumConsumerTimeout];
  };
  assertEquals(row("3.10.8"), [false, 0, false]);
  assertEquals(row("4.0.5"), [true, 2, false]);
  assertEquals(row("4.2.1"), [true, 2, false]);
  assertEquals(row("4.3.6"), [true, 32, true]);
  assertEquals(row("4.10.0"), [true, 32, true]);
  assertEquals(row("5.0.0"), [true, 32, true]);
  assertEquals(row("unknown"), [false, 0, false]);
});

Deno.test("prioritySupport() of a quorum queue follows the broker's levels", async (t) => {
  const quorum = (version: string) =>
    prioritySupport("jobs", "quorum", {
      maxPriority: undefined,
      features: brokerFeatures(version),
      adopted: false,
    });
  await t.step("RabbitMQ 4.3: 0 to 31, and 32 is refused", () => {
    const support = quorum("4.3.6");
    assertEquals(support, { ok: true, max: 31 });
    checkPriority("sum", 31, support);
    assertThrows(
      () => checkPriority("sum", 32, support),
      ConfigError,
      "Cannot give task 'sum' priority 32: the queue's highest priority is 31 (a quorum queue has 32 levels, 0 to 31)",
    );
  });
  await t.step("RabbitMQ 4.0: two levels, any priority up to 255", () => {
    assertEquals(quorum("4.0.5"), { ok: true, max: 255 });
  });
  await t.step("RabbitMQ 3.10: none, with a reason", () => {
    const support = quorum("3.10.8");
    assertEquals(support.ok, false);
    assertThrows(() => checkPriority("sum", 1, support), ConfigError, "has no priorities");
  });
});
