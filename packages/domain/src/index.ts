/**
 * @montu/domain — Montu's rules and its wire contract, in one home for every surface (core,
 * server, CLI, web, TypeScript client). Isomorphic: no Node built-ins, no DOM, nothing of ours.
 */
export * from './errors.js';
export * from './types.js';
export * from './identifiers.js';
export * from './rational.js';
export * from './timecode.js';
export * from './media-timing.js';
export * from './workflow.js';
export * from './history-labels.js';
export * from './processing-problem.js';
export * from './drawing.js';
export * from './people.js';
export * from './position.js';
export * from './sequence-naming.js';
export * from './format.js';
export * from './json-value.js';
export * from './review-session.js';
export * from './float-image.js';
export * from './direct-upload.js';
export * from './waveform.js';
