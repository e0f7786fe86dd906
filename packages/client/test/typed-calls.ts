/**
 * Compiled (not run) by typed-calls.test.ts: what `MontuClient.call` must refuse at compile time.
 * Each `@ts-expect-error` fails the compile when the line it marks becomes valid, so a client
 * that loosened its types (an index signature, an `any`) fails the test.
 */
import type { MontuClient } from '../src/index.js';
import type { Media, Statistics } from '../src/index.js';

export async function typedCalls(c: MontuClient): Promise<void> {
  const m: Media = await c.call('get', '/api/v1/media/{mediaId}', { path: { mediaId: 'x' } });
  void m;
  // @ts-expect-error -- the path parameter is required
  await c.call('get', '/api/v1/media/{mediaId}');
  // prettier-ignore
  // @ts-expect-error -- a body field the server does not take
  await c.call('post', '/api/v1/media/{mediaId}/notes', { path: { mediaId: 'x' }, body: { content: 'a', colour: 'red' } });
  // prettier-ignore
  // @ts-expect-error -- frame is a number, not a string
  await c.call('post', '/api/v1/media/{mediaId}/notes', { path: { mediaId: 'x' }, body: { content: 'a', frame: '41' } });
  // @ts-expect-error -- no such route
  await c.call('get', '/api/v1/nothing');
  // @ts-expect-error -- GET takes no body
  await c.call('get', '/api/v1/projects', { body: {} });
  const s: Statistics = await c.getMediaStatistics('SWA');
  // @ts-expect-error -- a record declares its fields: no guessing at other names
  void s.total;
  void s.approvalsByDay[0]?.count;
  const media = await c.getMedia('x');
  // @ts-expect-error -- metadata is typed; a file's state is one of the file states
  const state: 'nonsense' = media.files[0]!.state;
  void state;
}
