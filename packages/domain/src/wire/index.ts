/**
 * The wire contract of Montu's REST API (decision 105): every request body, query, path
 * parameter and response, declared once with TypeBox. The server validates and serialises with
 * these schemas and the OpenAPI document (packages/client/openapi.json) is generated from them;
 * @montu/client and the Python records are generated from that document. Imported as
 * `@montu/domain/wire`, so surfaces that need only the rules do not load TypeBox.
 */
export * from './schema.js';
export * from './metadata.js';
export * from './components.js';
export * from './params.js';
export * from './review.js';
export * from './media.js';
export * from './projects.js';
export * from './playlists.js';
export * from './users.js';
export * from './webhooks.js';
export * from './jobs.js';
export * from './operations.js';
export * from './uploads.js';
export * from './review-sessions.js';
export * from './colour.js';
export type { Same } from './conformance.js';
