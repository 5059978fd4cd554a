import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml } from '../../common/html-escape.js';
import { countEntries, findCsrfToken } from '../../client/page-scan.js';
import { postMarker, shownPostMarker } from '../../client/post-marker.js';
import { csrfCookieValue, headerNameIs } from '../../client/raw-headers.js';

const page = (html: string): Buffer => Buffer.from(html, 'utf8');
const form = (input: string) => `<html><body><form method=post action=/><textarea name="body"></textarea>${input}</form>`;
const entries = (count: number, extra = '') =>
  `<ol class="entries">${Array.from({ length: count }, (_, i) => `<li class="e">entry ${i}</li>`).join('')}${extra}</ol>`;

describe('findCsrfToken', () => {
  it('reads the hidden input the contract describes', () => {
    assert.equal(findCsrfToken(page(form('<input type="hidden" name="csrf" value="abc123">'))), 'abc123');
  });

  it('accepts the value attribute before the name and a self-closing tag', () => {
    assert.equal(findCsrfToken(page(form('<input value="tok-9" type="hidden" name="csrf" />'))), 'tok-9');
  });

  it('finds nothing without the field, without a value, or with an empty value', () => {
    assert.equal(findCsrfToken(page(form(''))), undefined);
    assert.equal(findCsrfToken(page(form('<input type="hidden" name="csrf">'))), undefined);
    assert.equal(findCsrfToken(page(form('<input type="hidden" name="csrf" value="">'))), undefined);
    assert.equal(findCsrfToken(page('<input type="hidden" name="csrfx" value="no">')), undefined);
  });

  it('does not take a value from another tag', () => {
    assert.equal(findCsrfToken(page('<input type="hidden" name="csrf"><input name="other" value="not-it">')), undefined);
  });

  it('gives up on an unterminated or oversized tag or token', () => {
    assert.equal(findCsrfToken(page('<input name="csrf" value="abc')), undefined);
    assert.equal(findCsrfToken(page(`<input name="csrf" value="${'x'.repeat(300)}">`)), undefined);
    assert.equal(findCsrfToken(page(`<input ${' '.repeat(2_000)} name="csrf" value="abc">`)), undefined);
  });
});

describe('countEntries', () => {
  it('counts <li> elements of the entries list', () => {
    assert.equal(countEntries(page(`<link rel="x"><ol class="entries"></ol>`)), 0);
    assert.equal(countEntries(page(entries(7))), 7);
    assert.equal(countEntries(page(`<ol class="entries"><li>a</li><li>b</li></ol>`)), 2);
  });

  it('counts nothing before the list starts or after it ends, and ignores <link>', () => {
    const html = `<ul><li>menu</li></ul>${entries(3, '<link rel="y">')}<ul><li>footer</li></ul>`;
    assert.equal(countEntries(page(html)), 3);
    assert.equal(countEntries(page('<ul><li>menu</li></ul>')), 0);
  });

  it('stops counting at the limit', () => {
    assert.equal(countEntries(page(entries(25)), 20), 20);
    assert.equal(countEntries(page(entries(25))), 25);
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters the app escapes, and nothing else', () => {
    assert.equal(escapeHtml(`a & b < c > d " e ' f`), 'a &amp; b &lt; c &gt; d &quot; e &#39; f');
    assert.equal(escapeHtml('héllo мир 世界'), 'héllo мир 世界');
  });
});

describe('postMarker', () => {
  it('is unique per run and user, mixes scripts and markup, and fits the body limit', () => {
    const marker = postMarker('run1', 42);
    assert.notEqual(marker, postMarker('run1', 43));
    assert.notEqual(marker, postMarker('run2', 42));
    assert.match(marker, /^bl:run1:42 /);
    assert.match(marker, /é/);
    assert.match(marker, /мир/);
    assert.match(marker, /世界/);
    assert.match(marker, /[<>&"']/);
    assert.ok(postMarker('x'.repeat(32), 999_999).length <= 1000);
  });

  it("is looked for on the page in the form the app's own escaping gives it", () => {
    assert.equal(shownPostMarker('run1', 42), escapeHtml(postMarker('run1', 42)));
  });
});

describe('raw headers', () => {
  it('matches header names ignoring case', () => {
    const xBackend = Buffer.from('x-backend');
    assert.ok(headerNameIs(Buffer.from('X-Backend'), xBackend));
    assert.ok(headerNameIs(Buffer.from('x-backend'), xBackend));
    assert.ok(!headerNameIs(Buffer.from('X-Backends'), xBackend));
    assert.ok(!headerNameIs(Buffer.from('X-Worker'), Buffer.from('location')));
  });

  it('reads the csrftoken cookie and ignores other cookies', () => {
    assert.equal(csrfCookieValue(Buffer.from('csrftoken=abc; Path=/; SameSite=Lax')), 'abc');
    assert.equal(csrfCookieValue(Buffer.from('csrftoken=xyz')), 'xyz');
    assert.equal(csrfCookieValue(Buffer.from('theme=dark; Path=/')), undefined);
    assert.equal(csrfCookieValue(Buffer.from('csrftoken=; Path=/')), undefined);
  });
});
