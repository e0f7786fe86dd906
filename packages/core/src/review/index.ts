/** The review workflow's public API (issue 6). */
export * from './compare.js';
export * from './note-service.js';
export * from './render.js';
export * from './exports.js';
export * from './playlist-service.js';
export * from '../webhooks/webhook-service.js';
