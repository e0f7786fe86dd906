import { describe, expect, it } from 'vitest';
import {
  browserFilters,
  browserSearch,
  browserSearchOf,
  compareSearch,
  parseQuery,
  playlistsSearch,
  stringifyQuery,
  viewerSearch,
} from '../src/lib/search-params.js';
import { syncOffset } from '../src/lib/compare-sync.js';

const defined = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

describe('URL search parameters', () => {
  it('reads a compare address with the domain rules', () => {
    const s = compareSearch(
      parseQuery('?a=v001&b=2&layout=difference&wipe=0.3&opacity=.25&frame=37&sync=offset&offset=-5&audio=b'),
    );
    expect(defined(s)).toEqual({
      a: 'v001',
      b: 'v002',
      layout: 'difference',
      wipe: 0.3,
      opacity: 0.25,
      frame: 37,
      sync: 'offset',
      offset: -5,
      audio: 'b',
    });
  });

  it('refuses what breaks a rule, leaving the default (explicitly undefined, never the raw text)', () => {
    const s = compareSearch(
      parseQuery('?a=latest&b=v0&layout=spiral&wipe=7&opacity=-1&frame=3.5&sync=x&offset=1e3&audio=left'),
    );
    expect(defined(s)).toEqual({});
    // Every key is present: the router lays these over the raw values of the address.
    expect(Object.keys(s).sort()).toEqual(
      ['a', 'audio', 'b', 'frame', 'layout', 'offset', 'opacity', 'sync', 'wipe'].sort(),
    );
    expect(defined(viewerSearch(parseQuery('?frame=abc&note=<x>&playlist=p 1')))).toEqual({});
    expect(defined(viewerSearch(parseQuery('?frame=-3&note=n_1')))).toEqual({ frame: -3, note: 'n_1' });
    expect(defined(playlistsSearch(parseQuery('?id=pl-1&item=../x')))).toEqual({ id: 'pl-1' });
  });

  it("a playlist item's address: playlist, play-through and review flags, written as `1`", () => {
    const s = viewerSearch(parseQuery('?playlist=pl-1&play=1&review=true'));
    expect(defined(s)).toEqual({ playlist: 'pl-1', play: true, review: true });
    expect(stringifyQuery({ playlist: 'pl-1', play: true, review: undefined })).toBe('?playlist=pl-1&play=1');
    expect(stringifyQuery({ playlist: 'pl-1', play: false })).toBe('?playlist=pl-1');
    // Any other value is off, never the raw text.
    expect(defined(viewerSearch(parseQuery('?play=yes&review=0')))).toEqual({});
    // The router validates the typed values a link is built with too: they must survive.
    expect(defined(viewerSearch({ playlist: 'pl-1', play: true, frame: 12 }))).toEqual({
      playlist: 'pl-1',
      play: true,
      frame: 12,
    });
  });

  it('takes the old `mode` name of the layout', () => {
    expect(compareSearch(parseQuery('?mode=side')).layout).toBe('side');
    expect(compareSearch(parseQuery('?mode=side&layout=wipe')).layout).toBe('wipe');
  });

  it('browser filters: only known statuses and types, real dates', () => {
    const s = browserSearch(
      parseQuery('?q=sh010&status=approved&type=movie&from=2024-02-30&to=2024-02-29&author=ana'),
    );
    expect(defined(s)).toEqual({ q: 'sh010', status: 'approved', author: 'ana', to: '2024-02-29' });
    const f = browserFilters(s);
    expect(f).toMatchObject({
      query: 'sh010',
      status: 'approved',
      mediaType: '',
      dateFrom: '',
      dateTo: '2024-02-29',
    });
    expect(defined(browserSearchOf(f))).toEqual(defined(s));
  });

  it('writes plain query strings, leaving out what is unset', () => {
    expect(stringifyQuery({ frame: 37, layout: 'wipe', a: undefined, q: '', wipe: 0.3 })).toBe(
      '?frame=37&layout=wipe&wipe=0.3',
    );
    expect(stringifyQuery({})).toBe('');
    expect(parseQuery(stringifyQuery({ q: 'a b&c' }))).toEqual({ q: 'a b&c' });
  });
});

describe('compare sync offsets', () => {
  const a = { fps: '24/1', startTimecode: '01:00:00:00', startFrame: 86400 };
  const b = { fps: '24/1', startTimecode: '01:00:00:05', startFrame: 86405 };
  it('by start, by source timecode, by a chosen frame', () => {
    expect(syncOffset('start', a, b, 9)).toBe(0);
    // A's frame n shows 01:00:00:00 + n; B shows it at its frame n − 5.
    expect(syncOffset('timecode', a, b, 9)).toBe(-5);
    expect(syncOffset('offset', a, b, 9)).toBe(9);
  });
  it('drop-frame timecodes and different start frames', () => {
    const df = { fps: '30000/1001', startTimecode: '00:01:00;02', startFrame: null };
    const df2 = { fps: '30000/1001', startTimecode: '00:00:59;29', startFrame: null };
    // 00:00:59;29 is the frame just before 00:01:00;02 (;00 and ;01 are skipped).
    expect(syncOffset('timecode', df, df2, 0)).toBe(1);
  });
  it('sequences without timecode pair their frame numbers', () => {
    const s1 = { fps: '24/1', startTimecode: null, startFrame: 1001 };
    const s2 = { fps: '24/1', startTimecode: null, startFrame: 990 };
    expect(syncOffset('timecode', s1, s2, 0)).toBe(11);
    expect(syncOffset('timecode', { ...s1, startFrame: null }, s2, 0)).toBe(0);
  });
});
