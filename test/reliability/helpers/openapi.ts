/** Small helpers over the server's OpenAPI document, for fuzzing and IDOR sweeps. */

export type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
  $ref?: string;
  additionalProperties?: boolean | Schema;
  [k: string]: unknown;
};

export interface Operation {
  method: string;
  path: string;
  parameters: Array<{
    name: string;
    in: 'path' | 'query' | 'header' | 'cookie';
    required?: boolean;
    schema: Schema;
  }>;
  body?: { type: string; schema: Schema };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

export interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Operation['parameters'];
        requestBody?: { content: Record<string, { schema: Schema }> };
        responses?: Operation['responses'];
      }
    >
  >;
  components?: { schemas?: Record<string, Schema> };
}

export function operations(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(method)) continue;
      const content = op.requestBody?.content ?? {};
      const type = Object.keys(content)[0];
      out.push({
        method: method.toUpperCase(),
        path: p,
        parameters: op.parameters ?? [],
        ...(type ? { body: { type, schema: content[type]!.schema } } : {}),
        responses: op.responses ?? {},
      });
    }
  }
  return out;
}

/** A minimal value that satisfies `schema` (required properties only). */
export function minimalValid(schema: Schema | undefined, doc?: OpenApiDoc): unknown {
  if (!schema) return {};
  if (schema.$ref && doc) return minimalValid(resolveRef(doc, schema.$ref), doc);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts?.length) return minimalValid(alts[0], doc);
  if (schema.allOf?.length)
    return Object.assign({}, ...schema.allOf.map((s) => minimalValid(s, doc) as object));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, 1);
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => minimalValid(schema.items, doc));
    default: {
      const o: Record<string, unknown> = {};
      for (const k of schema.required ?? []) o[k] = minimalValid(schema.properties?.[k], doc);
      return o;
    }
  }
}

export function resolveRef(doc: OpenApiDoc, ref: string): Schema {
  const name = ref.replace(/^#\/components\/schemas\//, '');
  const s = doc.components?.schemas?.[name];
  if (!s) throw new Error(`unresolved $ref ${ref}`);
  return s;
}
