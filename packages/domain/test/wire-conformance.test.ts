/**
 * `Same` (wire/conformance.ts), which every record that is not `Static` of its schema is checked
 * with at compile time, tells records apart at every depth (decision 200): compiled here with the
 * TypeScript compiler, a nested field on one side only is an error, as is one that is optional on
 * one side; flattened intersections and reordered unions are not.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function errorsOf(source: string): string[] {
  const file = path.join(HERE, '__same-check.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === file ? source : read(name));
  const exists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || exists(name);
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && path.resolve(d.file.fileName) === file)
    .map((d) => `${d.file!.getLineAndCharacterOfPosition(d.start!).line + 1}`);
}

describe('Same: records compared at every depth', () => {
  it('refuses nested drift and accepts the same fields written differently', () => {
    const lines = [
      "import type { Same } from '../src/wire/conformance.js';",
      'type Stats = { total: number; versions: { tasks: number; maxPerTask: number } };',
      // 3: a nested field on one side only (assignable both ways: the old check let it through)
      'export const a: Same<Stats, { total: number; versions: { tasks: number; maxPerTask: number; extra?: number } }> = true;',
      // 4: a field in an array element, optional on one side only
      'export const b: Same<{ l: Array<{ p: number; q: string }> }, { l: Array<{ p: number; q?: string }> }> = true;',
      // 5: a union member with a field more
      "export const c: Same<{ u: { k: 'a' } | { k: 'b'; w?: 2 } }, { u: { k: 'a' } | { k: 'b' } }> = true;",
      // 6–8: the same records as an intersection, with the union in another order: no error
      'export const d: Same<Stats, { total: number } & { versions: { maxPerTask: number } & { tasks: number } }> = true;',
      "export const e: Same<{ u: { k: 'a' } | { k: 'b'; w?: 2 } }, { u: { k: 'b'; w?: 2 } | { k: 'a' } }> = true;",
      'export const f: Same<Stats, Stats> = true;',
      '',
    ];
    expect(errorsOf(lines.join('\n'))).toEqual(['3', '4', '5']);
  });
});
