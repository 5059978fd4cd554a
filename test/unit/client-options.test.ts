import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateLoadOptions } from '../../client/load-options.js';
import { LOAD_DEFAULTS as loadDefaults } from '../../common/defaults.js';
import type { RawLoadOptions } from '../../client/load-options.js';
import { LabError } from '../../common/errors.js';

const target = 'http://127.0.0.1:8080';

function rejects(raw: RawLoadOptions, message: string): void {
  assert.throws(
    () => validateLoadOptions(raw),
    (error: unknown) => {
      assert.ok(error instanceof LabError);
      assert.equal(error.code, 'BL_ERR_OPTION');
      assert.equal(error.message, message);
      return true;
    },
  );
}

describe('validateLoadOptions', () => {
  it('fills every default from one place', () => {
    const options = validateLoadOptions({ target });
    assert.equal(options.target, 'http://127.0.0.1:8080/');
    assert.equal(options.variant, 'http://127.0.0.1:8080/');
    assert.equal(options.users, loadDefaults.users);
    assert.equal(options.rampSeconds, loadDefaults.rampSeconds);
    assert.equal(options.timeoutMs, loadDefaults.timeoutMs);
    assert.equal(options.arrival, loadDefaults.arrival);
    assert.equal(options.seed, loadDefaults.seed);
    assert.equal(options.checkOwnPost, true);
    assert.equal(options.expectBackend, undefined);
    assert.match(options.runTag ?? '', /^[A-Za-z0-9._-]{1,32}$/);
    assert.notEqual(validateLoadOptions({ target }).runTag, validateLoadOptions({ target }).runTag);
  });

  it('keeps given values and reads numbers and flags given as text', () => {
    const options = validateLoadOptions({
      target: 'http://localhost:81/guestbook/',
      variant: 'http/prefork',
      users: '2000',
      rampSeconds: '2.5',
      timeoutMs: '1500',
      arrival: 'poisson',
      seed: '9',
      runTag: 'r-1.a_b',
      expectBackend: 'http/prefork',
      checkOwnPost: 'false',
    });
    assert.deepEqual(options, {
      target: 'http://localhost:81/guestbook/',
      variant: 'http/prefork',
      users: 2000,
      rampSeconds: 2.5,
      timeoutMs: 1500,
      arrival: 'poisson',
      seed: 9,
      runTag: 'r-1.a_b',
      expectBackend: 'http/prefork',
      checkOwnPost: false,
    });
  });

  it('accepts a ramp of 0: every user at once', () => {
    assert.equal(validateLoadOptions({ target, rampSeconds: 0 }).rampSeconds, 0);
  });

  it('requires an http:// target', () => {
    const why = 'must be an http:// URL without query or fragment, e.g. http://127.0.0.1:8080';
    rejects({}, 'option --target is required, e.g. http://127.0.0.1:8080');
    rejects({ target: '' }, 'option --target is required, e.g. http://127.0.0.1:8080');
    rejects({ target: 'localhost:8080' }, `option --target ${why} (got "localhost:8080")`);
    rejects({ target: 'not a url' }, `option --target ${why} (got "not a url")`);
    rejects({ target: 'https://127.0.0.1' }, `option --target ${why} (got "https://127.0.0.1")`);
    rejects({ target: 'http://127.0.0.1/?a=1' }, `option --target ${why} (got "http://127.0.0.1/?a=1")`);
    rejects({ target: 'http://127.0.0.1/#top' }, `option --target ${why} (got "http://127.0.0.1/#top")`);
    rejects({ target: 'http://u:p@127.0.0.1/' }, `option --target ${why} (got "http://u:p@127.0.0.1/")`);
  });

  it('bounds users to 1..1000000 whole users', () => {
    const why = 'option --users must be an integer from 1 to 1000000';
    rejects({ target, users: 'abc' }, `${why} (got "abc")`);
    rejects({ target, users: 0 }, `${why} (got "0")`);
    rejects({ target, users: -5 }, `${why} (got "-5")`);
    rejects({ target, users: 1.5 }, `${why} (got "1.5")`);
    rejects({ target, users: '1.5' }, `${why} (got "1.5")`);
    rejects({ target, users: 1_000_001 }, `${why} (got "1000001")`);
    rejects({ target, users: '' }, `${why} (got "")`);
    assert.equal(validateLoadOptions({ target, users: 1_000_000 }).users, 1_000_000);
  });

  it('bounds the ramp to 0..86400 seconds', () => {
    const why = 'option --ramp must be a number of seconds from 0 to 86400';
    rejects({ target, rampSeconds: 'soon' }, `${why} (got "soon")`);
    rejects({ target, rampSeconds: -1 }, `${why} (got "-1")`);
    rejects({ target, rampSeconds: 86_401 }, `${why} (got "86401")`);
    rejects({ target, rampSeconds: Number.NaN }, `${why} (got "NaN")`);
    rejects({ target, rampSeconds: '10s' }, `${why} (got "10s")`);
  });

  it('bounds the timeout to 1..3600000 whole milliseconds', () => {
    const why = 'option --timeout must be an integer from 1 to 3600000';
    rejects({ target, timeoutMs: 0 }, `${why} (got "0")`);
    rejects({ target, timeoutMs: '30s' }, `${why} (got "30s")`);
    rejects({ target, timeoutMs: 3_600_001 }, `${why} (got "3600001")`);
  });

  it('knows two arrival models', () => {
    rejects({ target, arrival: 'burst' }, 'option --arrival must be uniform or poisson (got "burst")');
  });

  it('bounds the seed to 32 bits', () => {
    const why = 'option --seed must be an integer from 0 to 4294967295';
    rejects({ target, seed: -1 }, `${why} (got "-1")`);
    rejects({ target, seed: 2 ** 32 }, `${why} (got "4294967296")`);
    rejects({ target, seed: 'x' }, `${why} (got "x")`);
  });

  it('keeps the run tag short and plain, so every posted text stays unique and small', () => {
    const why = "option --run-tag must be 1 to 32 letters, digits, '.', '_' or '-'";
    rejects({ target, runTag: '' }, `${why} (got "")`);
    rejects({ target, runTag: 'has space' }, `${why} (got "has space")`);
    rejects({ target, runTag: 'x'.repeat(33) }, `${why} (got "${'x'.repeat(33)}")`);
  });

  it('wants an expected backend that can be a header value', () => {
    const why = 'option --expect-backend must be a header value of visible ASCII characters';
    rejects({ target, expectBackend: '' }, `${why} (got "")`);
    rejects({ target, expectBackend: 'bad\nvalue' }, `${why} (got "bad\\nvalue")`);
    rejects({ target, expectBackend: 'héllo' }, `${why} (got "héllo")`);
  });

  it('wants a variant label of sensible length', () => {
    const why = 'option --label must be a label of 1 to 200 characters';
    rejects({ target, variant: '  ' }, `${why} (got "  ")`);
    rejects({ target, variant: 'v'.repeat(201) }, `${why} (got "${'v'.repeat(201)}")`);
  });

  it('reads the own-post check as a flag', () => {
    rejects({ target, checkOwnPost: 'maybe' }, 'option --check-own-post must be true or false (got "maybe")');
    assert.equal(validateLoadOptions({ target, checkOwnPost: 'true' }).checkOwnPost, true);
  });
});
