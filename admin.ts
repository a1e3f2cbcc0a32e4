/**
 * Operator tools: the {@linkcode Admin} class for programs, and a CLI that shows a work queue's
 * state and handles its dead letters.
 *
 * ```sh
 * deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE admin.ts status
 * deno run --allow-net=localhost:5672 --allow-env=AMQP_URL,WARREN_QUEUE admin.ts dead list
 * ```
 *
 * @module
 */
import { adminMain } from "./src/cli/admin_main.ts";
import { catalog } from "./tasks/mod.ts";

export { Admin, type AdminOptions, type AdminQueue } from "./src/admin/admin.ts";
export { adminMain };

if (import.meta.main) Deno.exit(await adminMain(catalog, Deno.args));
