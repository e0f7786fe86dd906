import { describe, expect, it } from 'vitest';
import { compileTemplate, matchTemplate } from '../src/template.js';
import { globToRegExp } from '../src/collect.js';
import { exitCodeFor } from '../src/errors.js';

const T = '{project}/{episode}_{sequence}_{shot}/{task}/{name}.{frame}.{ext}';

describe('path templates', () => {
  it('reads project, task and frame from the documented example', () => {
    const m = matchTemplate(T, '/mnt/renders/SWA/ep01_sq010_sh020/lighting/beauty.1001.exr');
    expect(m).toEqual({
      fields: {
        project: 'SWA',
        episode: 'ep01',
        sequence: 'sq010',
        shot: 'sh020',
        task: 'lighting',
        name: 'beauty',
        frame: '1001',
        ext: 'exr',
      },
      projectId: 'SWA',
      taskId: 'ep01_sq010_sh020_lighting',
      frame: 1001,
    });
  });

  it('keeps dots in names and matches relative and Windows paths', () => {
    expect(matchTemplate(T, 'SWA/ep01_sq010_sh020/comp/beauty.main.v2.0042.exr')?.fields['name']).toBe(
      'beauty.main.v2',
    );
    expect(matchTemplate(T, 'C:\\jobs\\SWA\\ep01_sq010_sh020\\comp\\b.0001.dpx')?.taskId).toBe(
      'ep01_sq010_sh020_comp',
    );
  });

  it('does not join a task that already carries the shot prefix', () => {
    const m = matchTemplate('{project}/{sequence}_{shot}/{task}/{*}', 'P/sq010_sh020/sq010_sh020_anim/x.mov');
    expect(m?.taskId).toBe('sq010_sh020_anim');
  });

  it('uses {task} alone and normalises {version}', () => {
    const m = matchTemplate('{task}/{version}/{*}.{ext}', '/a/ep02_sq001_sh001_comp/v7/anything.mov');
    expect(m).toMatchObject({ taskId: 'ep02_sq001_sh001_comp', version: 'v007' });
    expect(matchTemplate('{task}/{version}/{*}.{ext}', '/a/comp/latest/x.mov')).toBeNull();
  });

  it('matches only at a folder boundary and requires the whole tail', () => {
    expect(matchTemplate('{task}/{name}.{ext}', 'lighting/beauty.exr')?.taskId).toBe('lighting');
    expect(matchTemplate('x{task}/{name}.{ext}', 'ax_lighting/beauty.exr')).toBeNull();
    expect(matchTemplate(T, 'SWA/ep01_sq010_sh020/lighting/beauty.exr')).toBeNull();
  });

  it('{**} spans any number of folders, including none', () => {
    const t = '{project}/{**}/{task}/{*}.{ext}';
    expect(matchTemplate(t, 'P/a/b/c/comp/x.mov')?.taskId).toBe('comp');
    expect(matchTemplate(t, 'P/comp/x.mov')).toMatchObject({ projectId: 'P', taskId: 'comp' });
  });

  it('a repeated field must repeat its value', () => {
    const t = '{shot}/{shot}_{task}.{ext}';
    expect(matchTemplate(t, 'sh010/sh010_comp.mov')?.fields['task']).toBe('comp');
    expect(matchTemplate(t, 'sh010/sh020_comp.mov')).toBeNull();
  });

  it('accepts frame placeholders in the {frame} field', () => {
    expect(matchTemplate(T, 'P/ep1_sq1_sh1/fx/smoke.####.exr')?.fields['frame']).toBe('####');
    expect(matchTemplate(T, 'P/ep1_sq1_sh1/fx/smoke.%04d.exr')?.frame).toBeUndefined();
  });

  it('rejects malformed templates as usage errors', () => {
    for (const bad of ['', '{task', 'task}', '{ta sk}/x', '{1x}']) {
      expect(() => compileTemplate(bad), bad).toThrow(expect.objectContaining({ exitCode: 2 }));
    }
  });

  it('escapes regular-expression characters in literals', () => {
    expect(matchTemplate('[{task}]+(x).{ext}', '[comp]+(x).mov')?.taskId).toBe('comp');
    expect(matchTemplate('[{task}]+(x).{ext}', '[comp]]x).mov')).toBeNull();
  });
});

describe('globs', () => {
  it('matches *, ?, [..] and **', () => {
    expect(globToRegExp('*.exr').test('a.exr')).toBe(true);
    expect(globToRegExp('*.exr').test('d/a.exr')).toBe(false);
    expect(globToRegExp('**/*.exr').test('d/e/a.exr')).toBe(true);
    expect(globToRegExp('**/*.exr').test('a.exr')).toBe(true);
    expect(globToRegExp('shot_??.mov').test('shot_01.mov')).toBe(true);
    expect(globToRegExp('[ab].png').test('c.png')).toBe(false);
    expect(globToRegExp('[!a].png').test('c.png')).toBe(true);
  });
});

describe('exit codes', () => {
  it('maps library and server codes', () => {
    expect(exitCodeFor('not_found')).toBe(3);
    expect(exitCodeFor('conflict')).toBe(4);
    expect(exitCodeFor('validation_error')).toBe(5);
    expect(exitCodeFor('unauthorized')).toBe(6);
    expect(exitCodeFor('forbidden')).toBe(6);
    expect(exitCodeFor('storage_error')).toBe(1);
  });
});
