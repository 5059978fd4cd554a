import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertWritableOutDir, MIN_FREE_BYTES } from '../../lab/out-dir.js';
import { LabError } from '../../common/errors.js';

function withTempDir(use: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'benchlab-outdir-'));
  try {
    use(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const refusal = (pattern: RegExp) => (error: unknown) => error instanceof LabError && error.code === 'BL_ERR_OPTION' && pattern.test(error.message);

test('a folder that does not exist yet, under a writable one, passes and is not created', () => {
  withTempDir((dir) => {
    const out = path.join(dir, 'a', 'b');
    assertWritableOutDir(out, '--out');
    assert.equal(fs.existsSync(path.join(dir, 'a')), false, 'nothing is made before the run starts');
    assert.deepEqual(fs.readdirSync(dir), [], 'the probe file is removed');
  });
});

test('a path under a file is refused, naming the file', () => {
  withTempDir((dir) => {
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, '');
    assert.throws(() => assertWritableOutDir(path.join(file, 'out'), '--out'), refusal(new RegExp(`^option --out cannot be created: ${file} is a file`)));
  });
});

test('a folder that takes no file is refused', () => {
  assert.throws(() => assertWritableOutDir('/proc/benchlab-out', '--out'), refusal(/^option --out cannot be written: \/proc refuses a file/));
});

test('a nearly full disk is refused before the run, with what is free and what is needed', () => {
  withTempDir((dir) => {
    const full = () => ({ bavail: 10, bsize: 4096 });
    assert.throws(
      () => assertWritableOutDir(dir, '--results', full),
      refusal(/^option --results has too little free space: 0\.0 MB free in .*, a run needs 64\.0 MB$/),
    );
    assert.doesNotThrow(() => assertWritableOutDir(dir, '--results', () => ({ bavail: MIN_FREE_BYTES / 4096, bsize: 4096 })));
  });
});
