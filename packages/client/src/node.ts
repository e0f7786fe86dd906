/**
 * @montu/client/node — the client plus uploads of files on disk (Node only: node:fs, node:http).
 *
 *   const montu = new MontuNodeClient({ baseUrl: 'http://montu:8470', token });
 *   const media = await montu.uploadFile('/renders/comp.mov', { projectId: 'SWA', taskId: 'sh010_comp' });
 */
export * from './index.js';
export {
  MontuNodeClient,
  TUS_MIN_BYTES,
  DIRECT_MIN_BYTES,
  type FileUploadOptions,
  type SequenceFileInput,
  type SequenceFilesOptions,
} from './node/node-client.js';
export { multipartEnvelope, type MultipartEnvelope } from './node/multipart.js';
export { directUploadFile, type DirectFileOptions, type DirectUploadApi } from './node/direct.js';
export { sendFile, type FileRequest, type FileAnswer } from './node/file-request.js';
