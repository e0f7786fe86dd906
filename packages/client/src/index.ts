/**
 * @montu/client — typed client of the Montu API (fetch-based: Node 20+ and browsers).
 *
 *   const montu = new MontuClient({ baseUrl: 'http://montu:8470', token });
 *   for await (const m of montu.searchMedia({ taskId: 'ep01_sq010_sh020_lighting', status: 'approved' })) …
 */
export {
  MontuClient,
  API_PREFIX,
  sha256Hex,
  type MontuClientOptions,
  type UploadSource,
  type UploadOptionsMontu,
  type SequenceFrameInput,
  type NodeReadableLike,
} from './client.js';
export {
  MontuError,
  errorFromProblem,
  isMontuError,
  type MontuErrorCode,
  type ProblemDocument,
} from './errors.js';
export type * from './types.js';
export type { paths, components, operations } from './schema.js';
