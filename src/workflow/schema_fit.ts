/**
 * Whether one task's result fits the next task's payload, told from their zod schemas. A
 * workflow's step without a mapping passes the previous result as-is; TypeScript checks that
 * at compile time, and {@linkcode misfit} checks it when a workflow is built from data.
 *
 * Both schemas are read as JSON Schema (the result as zod outputs it, the payload as zod takes
 * it) and compared conservatively: only a definite mismatch is reported, and whatever cannot be
 * told (transforms, refinements, formats, bounds, `allOf`, `not`, recursion beyond a depth)
 * counts as fitting.
 *
 * @module
 */
import { z } from "../deps/zod.ts";

/** A JSON Schema object, as read here. */
type Schema = { readonly [key: string]: unknown };

const MAX_DEPTH = 32;
/** Keywords that say nothing of which values a schema accepts. */
const ANNOTATIONS = new Set(
  ("$schema $id $comment $defs definitions id title description default examples deprecated " +
    "readOnly writeOnly").split(" "),
);
/** Keywords of a result's schema whose meaning is not read here: the result cannot be told. */
const UNREAD = ["allOf", "not", "if", "$dynamicRef", "dependentSchemas", "dependentRequired"];
const TYPES = new Set(["string", "number", "integer", "boolean", "null", "object", "array"]);

/**
 * Why a value valid for `from` (read as its output) may not be valid for `to` (read as its
 * input), or undefined when it fits or cannot be told.
 *
 * @example A result that does not fit a payload
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { z } from "zod";
 * import { misfit } from "./schema_fit.ts";
 *
 * const result = z.object({ count: z.string(), words: z.array(z.string()) });
 * assertEquals(
 *   misfit(result, z.object({ count: z.number() })),
 *   "at .count: the result is a string, the payload needs a number",
 * );
 * assertEquals(misfit(result, z.object({ words: z.array(z.string()) })), undefined);
 * ```
 */
export function misfit(from: z.ZodType, to: z.ZodType): string | undefined {
  let output: unknown;
  let input: unknown;
  try {
    output = z.toJSONSchema(from, { io: "output", unrepresentable: "any" });
    input = z.toJSONSchema(to, { io: "input", unrepresentable: "any" });
  } catch {
    return undefined;
  }
  if (!isSchema(output) || !isSchema(input)) return undefined;
  return new Walk(output, input).compare(output, input, "", 0);
}

/** A comparison of two schemas, with the roots their `$ref`s resolve against. */
class Walk {
  constructor(readonly fromRoot: Schema, readonly toRoot: Schema) {}

  compare(a: unknown, b: unknown, path: string, depth: number): string | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const from = resolve(a, this.fromRoot);
    const to = resolve(b, this.toRoot);
    if (from === undefined || to === undefined) return undefined;
    const keys = constraining(from);
    if (keys.some((key) => UNREAD.includes(key))) return undefined;
    const at = path === "" ? "" : `at ${path}: `;
    const fromAlternatives = alternatives(from);
    if (fromAlternatives !== undefined) {
      if (keys.length > 1) return undefined;
      for (const alternative of fromAlternatives) {
        const reason = this.compare(alternative, to, path, depth + 1);
        if (reason !== undefined) return reason;
      }
      return undefined;
    }
    const fromTypes = typesOf(from);
    if (fromTypes === undefined) return undefined;
    const toAlternatives = alternatives(to);
    if (toAlternatives !== undefined) {
      const values = valuesOf(from) ?? finiteValues(fromTypes);
      const pieces = values !== undefined && values.length > 1
        ? values.map((value) => ({ const: value }))
        : fromTypes.size > 1
        ? [...fromTypes].map((type) => ({ ...from, type }))
        : undefined;
      for (const piece of pieces ?? []) {
        const reason = this.compare(piece, to, path, depth + 1);
        if (reason !== undefined) return reason;
      }
      if (pieces !== undefined) return undefined;
      const { anyOf: _anyOf, oneOf: _oneOf, ...rest } = to;
      const own = this.compare(from, rest, path, depth + 1);
      if (own !== undefined) return own;
      const reasons: string[] = [];
      for (const alternative of toAlternatives) {
        const reason = this.compare(from, alternative, path, depth + 1);
        if (reason === undefined) return undefined;
        const types = typesOf(resolve(alternative, this.toRoot) ?? {});
        if (types === undefined || [...fromTypes].some((type) => typeFits(type, types))) {
          reasons.push(reason);
        }
      }
      return reasons.length === 1
        ? reasons[0]
        : `${at}the result fits none of the payload's ${toAlternatives.length} alternatives`;
    }
    const toTypes = typesOf(to);
    if (toTypes !== undefined) {
      const stray = [...fromTypes].find((type) => !typeFits(type, toTypes));
      if (stray !== undefined) {
        return `${at}the result ${fromTypes.size > 1 ? "may be" : "is"} ${
          describe(stray)
        }, the payload needs ${[...toTypes].map(describe).join(" or ")}`;
      }
    }
    const toValues = valuesOf(to);
    if (toValues !== undefined) {
      const accepted = `the payload accepts only ${listValues(toValues)}`;
      const fromValues = valuesOf(from) ?? finiteValues(fromTypes);
      if (fromValues === undefined) {
        const open = [...fromTypes].find((type) => type !== "boolean" && type !== "null");
        return `${at}the result may be any ${open}, ${accepted}`;
      }
      const known = new Set(toValues.map((value) => JSON.stringify(value)));
      const stray = fromValues.find((value) => !known.has(JSON.stringify(value)));
      if (stray !== undefined) {
        return `${at}the result may be ${JSON.stringify(stray)}, ${accepted}`;
      }
    }
    if (fromTypes.has("object") && (toTypes?.has("object") ?? true)) {
      const reason = this.objects(from, to, path, depth);
      if (reason !== undefined) return reason;
    }
    if (fromTypes.has("array") && (toTypes?.has("array") ?? true)) {
      return this.arrays(from, to, path, depth);
    }
    return undefined;
  }

  objects(from: Schema, to: Schema, path: string, depth: number): string | undefined {
    const at = path === "" ? "" : `at ${path}: `;
    const fromProperties = isSchema(from.properties) ? from.properties : {};
    const toProperties = isSchema(to.properties) ? to.properties : {};
    const fromRequired = strings(from.required);
    const closed =
      (from.additionalProperties === undefined || from.additionalProperties === false) &&
      from.patternProperties === undefined;
    for (const key of strings(to.required)) {
      if (!Object.hasOwn(fromProperties, key)) {
        if (closed) return `${at}the result has no property '${key}', which the payload requires`;
      } else if (!fromRequired.includes(key)) {
        return `${at}the result's property '${key}' may be missing, which the payload requires`;
      }
    }
    for (const [key, schema] of Object.entries(fromProperties)) {
      const declared = Object.hasOwn(toProperties, key);
      if (!declared && to.patternProperties !== undefined) continue;
      const target = declared ? toProperties[key] : to.additionalProperties;
      if (target === false) {
        const has = fromRequired.includes(key) ? "has" : "may have";
        return `${at}the result ${has} property '${key}', which the payload does not allow`;
      }
      const reason = this.compare(schema, target, `${path}${member(key)}`, depth + 1);
      if (reason !== undefined) return reason;
    }
    if (isSchema(from.additionalProperties) && isSchema(to.additionalProperties)) {
      return this.compare(
        from.additionalProperties,
        to.additionalProperties,
        `${path}.*`,
        depth + 1,
      );
    }
    return undefined;
  }

  arrays(from: Schema, to: Schema, path: string, depth: number): string | undefined {
    const toPrefix = Array.isArray(to.prefixItems) ? to.prefixItems : undefined;
    if (Array.isArray(from.prefixItems)) {
      for (const [index, item] of from.prefixItems.entries()) {
        const target = toPrefix !== undefined && index < toPrefix.length
          ? toPrefix[index]
          : to.items;
        const reason = this.compare(item, target, `${path}[${index}]`, depth + 1);
        if (reason !== undefined) return reason;
      }
      return undefined;
    }
    if (toPrefix !== undefined) return undefined;
    return this.compare(from.items, to.items, `${path}[]`, depth + 1);
  }
}

/** The schema a node stands for, its local `$ref`s followed; undefined when it cannot be read. */
function resolve(node: unknown, root: Schema): Schema | undefined {
  for (let hops = 0; isSchema(node) && typeof node.$ref === "string"; hops++) {
    if (hops > MAX_DEPTH || constraining(node).length > 1) return undefined;
    const ref = node.$ref;
    const defs = isSchema(root.$defs) ? root.$defs : {};
    const name = ref.startsWith("#/$defs/") ? ref.slice("#/$defs/".length) : undefined;
    node = ref === "#"
      ? root
      : name !== undefined && Object.hasOwn(defs, name)
      ? defs[name]
      : undefined;
  }
  return isSchema(node) ? node : undefined;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function constraining(schema: Schema): string[] {
  return Object.keys(schema).filter((key) => !ANNOTATIONS.has(key));
}

function alternatives(schema: Schema): readonly unknown[] | undefined {
  const list = schema.anyOf ?? schema.oneOf;
  return Array.isArray(list) ? list : undefined;
}

/** The JSON types a schema allows, or undefined when it does not say. */
function typesOf(schema: Schema): Set<string> | undefined {
  const type = schema.type;
  const values = valuesOf(schema);
  const names = typeof type === "string"
    ? [type]
    : Array.isArray(type)
    ? type
    : values?.map(jsonType) ?? [];
  const types = new Set(
    names.filter((name): name is string => typeof name === "string" && TYPES.has(name)),
  );
  return types.size === 0 ? undefined : types;
}

function valuesOf(schema: Schema): readonly unknown[] | undefined {
  if (Object.hasOwn(schema, "const")) return [schema.const];
  return Array.isArray(schema.enum) ? schema.enum : undefined;
}

/** Every value of the given types, when they are few (booleans and null). */
function finiteValues(types: Set<string>): unknown[] | undefined {
  const values: unknown[] = [];
  for (const type of types) {
    if (type === "boolean") values.push(true, false);
    else if (type === "null") values.push(null);
    else return undefined;
  }
  return values;
}

function typeFits(type: string, types: Set<string>): boolean {
  return types.has(type) || (type === "integer" && types.has("number")) ||
    (type === "number" && types.has("integer"));
}

/** A JSON type's name with its article: "a string", "an integer", "null". */
function describe(type: string): string {
  return type === "null" ? type : `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function listValues(values: readonly unknown[]): string {
  const shown = values.slice(0, 6).map((value) => JSON.stringify(value));
  return values.length > 6 ? `${shown.join(", ")}, …` : shown.join(" or ");
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item) => typeof item === "string") : [];
}

function member(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}
