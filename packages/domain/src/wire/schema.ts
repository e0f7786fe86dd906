/**
 * The building blocks of the wire schemas (TypeBox, decision 105): nullable fields, string
 * enums, closed objects and the shared components the OpenAPI document names.
 */
import {
  Type,
  type Static,
  type TObject,
  type TProperties,
  type TSchema,
  type TUnsafe,
} from '@sinclair/typebox';

/**
 * `T | null` as `type: [T, "null"]` rather than `anyOf`: the same meaning in JSON Schema 2020-12 /
 * OpenAPI 3.1, and fast-json-stringify serialises it without running a validator per field
 * (anyOf made GET /media/:id several times slower).
 */
export const Nullable = <T extends TSchema>(t: T) =>
  // A named component is a `$ref`: a `type` beside it is ignored by fast-json-stringify, which
  // then wrote null as `{}` (a note without a drawing came back with `drawing: {}`). References
  // take anyOf; only they pay its cost.
  typeof t['$ref'] === 'string'
    ? Type.Unsafe<Static<T> | null>({ anyOf: [{ $ref: t['$ref'] }, { type: 'null' }] })
    : Type.Unsafe<Static<T> | null>({
        ...t,
        type: [(t as { type?: string }).type ?? 'object', 'null'],
        ...(Array.isArray(t['enum']) ? { enum: [...(t['enum'] as unknown[]), null] } : {}),
      });

/** A string from a fixed list. */
export const Enum = <T extends string>(values: readonly T[], options: object = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });

/**
 * An object with exactly these fields: a request body with another field is a 400 naming it,
 * and a response declares everything it holds (clients get no index signatures).
 */
export const Closed = <T extends TProperties>(properties: T, options: object = {}): TObject<T> =>
  Type.Object(properties, { ...options, additionalProperties: false });

/**
 * A map from names to values of one schema (a studio's custom properties, counts by status):
 * the keys are data, not fields, so it is declared as such rather than as an open object.
 */
export const MapOf = <T extends TSchema>(values: T, options: object = {}) =>
  Type.Record(Type.String(), values, options);

/** Any JSON value (a studio's own property values). */
export const JsonValue = Type.Unknown({ description: 'Any JSON value' });

const components: TSchema[] = [];

/**
 * A named component: registered once with the server (`app.addSchema`) and listed once under
 * the OpenAPI document's components.schemas, so generated clients get named types; everywhere
 * else it is a `$ref`. The value is the reference; its static type is the schema's.
 */
export function component<T extends TSchema>(name: string, schema: T): TUnsafe<Static<T>> {
  components.push({ ...schema, $id: name });
  return Type.Unsafe<Static<T>>({ $ref: name });
}

/** Every named component, for the server to register (in dependency order). */
export const WIRE_COMPONENTS: readonly TSchema[] = components;
