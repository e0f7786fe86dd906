/** The review workflow's public API (issue 6). */
export * from '../domain/timecode.js';
export * from '../domain/drawing.js';
export * from './timing.js';
export * from './compare.js';
export * from '../services/note-service.js';
export * from './render.js';
export * from './exports.js';
export * from '../services/playlist-service.js';
export * from '../services/webhook-service.js';
