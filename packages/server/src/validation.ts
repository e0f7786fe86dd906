/**
 * Request validation: two compilers from the same schemas. Query strings and path parameters
 * are text, so they are coerced (`?limit=5`, `?tags=a&tags=b`); JSON bodies are not — a body
 * says what it means, and `"frame": "41"` or `"frame": null` is a 400 naming the field, not 41
 * or 0 (decision 105).
 */
import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifySchemaCompiler } from 'fastify';

type BuildFromPool = ReturnType<typeof AjvCompiler>;

const ajvOptions = { removeAdditional: false, useDefaults: true, allErrors: false } as const;

/** The server's `schemaController.compilersFactory.buildValidator`. */
export const buildValidator: BuildFromPool = (externalSchemas, serverOptions) => {
  const build = (coerceTypes: 'array' | false) =>
    AjvCompiler()(externalSchemas, {
      ...serverOptions,
      customOptions: { ...serverOptions?.customOptions, ...ajvOptions, coerceTypes },
    } as Parameters<BuildFromPool>[1]) as FastifySchemaCompiler<unknown>;
  const texts = build('array');
  const bodies = build(false);
  const pick: FastifySchemaCompiler<unknown> = (route) =>
    route.httpPart === 'body' ? bodies(route) : texts(route);
  return pick as ReturnType<BuildFromPool>;
};
