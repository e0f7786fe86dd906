/**
 * The API's operations as types, read from the generated OpenAPI types (schema.ts): for a path
 * and method, its path parameters, query, JSON body and success answer. `MontuClient.call` takes
 * exactly these, so a call with a field the server does not take, or a wrong type, does not
 * compile.
 */
import type { paths } from './schema.js';

export type HttpMethod = 'get' | 'put' | 'post' | 'patch' | 'delete';
export type ApiPath = keyof paths;

/** The operation at a path and method (never when the path has no such method). */
type Operation<P extends ApiPath, M extends HttpMethod> = NonNullable<paths[P][M]>;

/** Paths that answer a method. */
export type PathsFor<M extends HttpMethod> = {
  [P in ApiPath]: paths[P][M] extends { responses: unknown } ? P : never;
}[ApiPath];

type ParametersOf<O> = O extends { parameters: infer X } ? X : never;
/** Path parameters (`{ mediaId }`), or never when the path has none. */
export type PathParams<P extends ApiPath, M extends HttpMethod> =
  ParametersOf<Operation<P, M>> extends { path: infer X } ? X : never;
/** The query string's parameters, or never. */
export type QueryParams<P extends ApiPath, M extends HttpMethod> =
  ParametersOf<Operation<P, M>> extends { query?: infer X } ? NonNullable<X> : never;
/** The JSON body, or never. */
export type JsonBody<P extends ApiPath, M extends HttpMethod> =
  RequestBody<Operation<P, M>> extends infer R
    ? [R] extends [never]
      ? never
      : R extends { content: { 'application/json': infer B } }
        ? B
        : never
    : never;
type RequestBody<O> = O extends { requestBody?: infer R } ? NonNullable<R> : never;

type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : undefined;
type Responses<P extends ApiPath, M extends HttpMethod> =
  Operation<P, M> extends { responses: infer R } ? R : never;
type Success = 200 | 201 | 202;
/** The JSON of the success answers (200, 201, 202: a union when several); undefined for 204. */
export type Answer<P extends ApiPath, M extends HttpMethod> =
  Responses<P, M> extends infer R
    ? | { [S in Success & keyof R]: JsonOf<R[S]> }[Success & keyof R]
      | (204 extends keyof R ? undefined : never)
    : never;

/** A part of a call's options: required when the operation has required fields, absent when it has none. */
type Part<K extends string, T> = [T] extends [never]
  ? { [k in K]?: never }
  : object extends T
    ? { [k in K]?: T }
    : { [k in K]: T };

/** What one call takes beside its method and path. */
export type CallOptions<P extends ApiPath, M extends HttpMethod> = Part<'path', PathParams<P, M>> &
  Part<'query', QueryParams<P, M>> &
  Part<'body', JsonBody<P, M>> & {
    signal?: AbortSignal;
    /** A 404 on a retried delete means an earlier attempt, whose answer was lost, deleted it. */
    goneIsDone?: boolean;
  };

/** `/api/v1/media/{mediaId}` with `{ mediaId: 'm 1' }` → `/api/v1/media/m%201`. */
export function fillPath(template: string, params: Record<string, string | number> | undefined): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params?.[name];
    if (v === undefined) throw new TypeError(`${template} needs the path parameter ${name}`);
    return encodeURIComponent(String(v));
  });
}
