/** Live review sessions (issue 22): the public API. */
export * from './review-session-service.js';
