import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../lab/paths.js';

// The import rules that keep the layout honest: shared rules in common/, the sides apart, commands on top.
const ALLOWED: Record<string, readonly string[]> = {
  common: ['common'],
  apps: ['apps', 'common'],
  client: ['client', 'common'],
  report: ['report', 'common'],
  lab: ['lab', 'client', 'apps', 'report', 'common'],
  cli: ['cli', 'lab', 'client', 'apps', 'report', 'common'],
};
const MAX_LAB_TOP_LEVEL_FILES = 20;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative module a file imports, statically, dynamically or by re-export. */
function relativeImports(source: string): string[] {
  const found: string[] = [];
  for (const pattern of [/\bfrom\s+'(\.[^']+)'/g, /\bimport\s*\(\s*'(\.[^']+)'\s*\)/g, /\bimport\s+'(\.[^']+)'/g, /new URL\('(\.[^']+)'/g]) {
    for (const match of source.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

function topFolder(file: string): string {
  return path.relative(packageRoot, file).split(path.sep)[0]!;
}

describe('layout', () => {
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`${folder}/ imports only from ${allowed.join(', ')}`, () => {
      const broken: string[] = [];
      for (const file of sourceFiles(path.join(packageRoot, folder))) {
        for (const specifier of relativeImports(fs.readFileSync(file, 'utf8'))) {
          const target = topFolder(path.resolve(path.dirname(file), specifier));
          if (!allowed.includes(target)) broken.push(`${path.relative(packageRoot, file)} imports ${specifier}`);
        }
      }
      assert.deepEqual(broken, []);
    });
  }

  it(`lab/ keeps at most ${MAX_LAB_TOP_LEVEL_FILES} files at its top level`, () => {
    const files = fs.readdirSync(path.join(packageRoot, 'lab'), { withFileTypes: true }).filter((entry) => entry.isFile());
    assert.ok(files.length <= MAX_LAB_TOP_LEVEL_FILES, `${files.length} files: ${files.map((f) => f.name).join(', ')}`);
  });

  it('the rules see an import that breaks them', () => {
    const file = path.join(packageRoot, 'client', 'x.ts');
    const [specifier] = relativeImports(`import { x } from '../lab/run.js';`);
    assert.equal(topFolder(path.resolve(path.dirname(file), specifier!)), 'lab');
    assert.deepEqual(relativeImports(`const m = await import('../apps/serve.js'); export { y } from './y.js';`), ['./y.js', '../apps/serve.js']);
  });

  it('no source file cites a document outside the repository', () => {
    const citing: string[] = [];
    for (const folder of [...Object.keys(ALLOWED), 'test', 'bench']) {
      for (const file of sourceFiles(path.join(packageRoot, folder))) {
        if (/DESIGN §|DESIGN\.md|FIELD-NOTES|STYLE\.md/.test(fs.readFileSync(file, 'utf8')) && !file.endsWith('layout.test.ts')) citing.push(file);
      }
    }
    assert.deepEqual(citing, []);
  });
});
