import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { selectVariants } from '../../lab/variant-selection.js';
import { loadManifest } from '../../lab/manifest.js';
import { VARIANTS, VARIANT_SETS, findVariant } from '../../apps/variants.js';
import { LabError } from '../../common/errors.js';

test('the manifest holds every protocol × model × framework, plus the gunicorn reference', () => {
  const node = VARIANTS.filter((v) => !v.command);
  assert.equal(node.length, 18);
  assert.equal(new Set(node.map((v) => `${v.protocol}/${v.model}/${v.framework}`)).size, 18);
  for (const v of node) assert.equal(v.name, `${v.protocol}-${v.model}-${v.framework}`);
  assert.ok(findVariant('ref-gunicorn')?.command);
});

test('aliases keep their short name and select the canonical variant', () => {
  const prefork = findVariant('prefork');
  assert.equal(prefork?.name, 'prefork');
  assert.equal(prefork?.protocol, 'http');
  assert.equal(prefork?.model, 'prefork');
  assert.equal(prefork?.framework, 'fastify');
  assert.equal(findVariant('fastcgi')?.protocol, 'fastcgi');
});

test('sets, globs and names resolve in order, each once', () => {
  assert.deepEqual(
    selectVariants('design').map((v) => v.name),
    ['prefork', 'threaded', 'fastcgi'],
  );
  assert.deepEqual(
    selectVariants('seed').map((v) => v.name),
    [...VARIANT_SETS['seed']!],
  );
  assert.deepEqual(
    selectVariants('http-*-express').map((v) => v.name),
    ['http-prefork-express', 'http-threaded-express', 'http-single-express'],
  );
  assert.deepEqual(
    selectVariants('prefork,prefork, fastcgi-single-*').map((v) => v.name),
    ['prefork', 'fastcgi-single-fastify', 'fastcgi-single-express', 'fastcgi-single-node-http'],
  );
  assert.equal(selectVariants('all').length, VARIANTS.length);
});

test('unknown names and empty globs are refused with the way out', () => {
  assert.throws(
    () => selectVariants('nope'),
    (e: unknown) => e instanceof LabError && /unknown variant "nope" \(see `benchlab variants`/.test(e.message),
  );
  assert.throws(() => selectVariants('zz-*'), /"zz-\*" matches no variant/);
  assert.throws(() => selectVariants(' , '), /--variants names no variant/);
});

test('a manifest adds foreign variants and rejects bad entries by number', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-manifest-'));
  try {
    const good = path.join(dir, 'good.json');
    fs.writeFileSync(
      good,
      JSON.stringify([{ name: 'my-go-server', protocol: 'http', model: 'single', command: { argv: ['my-server', '--listen', '{listen}'] } }]),
    );
    const extra = loadManifest(good);
    assert.equal(extra[0]!.command!.requires.program, 'my-server');
    assert.deepEqual(
      selectVariants('my-*', extra).map((v) => v.name),
      ['my-go-server'],
    );
    assert.ok(selectVariants('all', extra).some((v) => v.name === 'my-go-server'));

    const cases: Array<[unknown, RegExp]> = [
      [[{ name: 'Bad Name', protocol: 'http', model: 'single', command: { argv: ['x'] } }], /entry 1 needs a name/],
      [[{ name: 'ok', protocol: 'spdy', model: 'single', command: { argv: ['x'] } }], /entry 1 \(ok\) needs protocol http or fastcgi/],
      [[{ name: 'ok', protocol: 'http', model: 'forked', command: { argv: ['x'] } }], /needs model single, prefork or threaded/],
      [[{ name: 'ok', protocol: 'http', model: 'single' }], /needs command\.argv/],
      [[{ name: 'prefork', protocol: 'http', model: 'single', command: { argv: ['x'] } }], /reuses the name "prefork"/],
      [{ nothing: true }, /must hold a JSON array/],
    ];
    for (const [content, message] of cases) {
      const file = path.join(dir, 'bad.json');
      fs.writeFileSync(file, JSON.stringify(content));
      assert.throws(
        () => loadManifest(file),
        (e: unknown) => e instanceof LabError && e.exitCode === 2 && message.test(e.message),
        String(message),
      );
    }
    assert.throws(() => loadManifest(path.join(dir, 'missing.json')), /option --manifest cannot read/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
