import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runConformance } from '../../client/conformance/checks.js';
import { startScenarioStub } from '../support/scenario-stub.js';

// The escaping check holds its expected page text written out, so a server that escapes wrongly fails it.
async function escapeFinding(escapeText?: (text: string) => string): Promise<string | undefined> {
  const stub = await startScenarioStub(escapeText ? { escape: escapeText } : {});
  try {
    const findings = await runConformance({ target: stub.url, tag: 'esc', healthzWithDatabaseDown: 'separately' });
    return findings.find((f) => f.id === 'page.escape')?.status;
  } finally {
    await stub.close();
  }
}

const contract = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');

test("the contract's escaping passes the check", async () => {
  assert.equal(await escapeFinding(), 'pass');
});

test("a server that leaves ' unescaped fails it", async () => {
  assert.equal(await escapeFinding((text) => contract(text).replaceAll('&#39;', "'")), 'fail');
});

test('a server that escapes twice fails it', async () => {
  assert.equal(await escapeFinding((text) => contract(contract(text))), 'fail');
});

test("a server that writes ' as &apos; fails it", async () => {
  assert.equal(await escapeFinding((text) => contract(text).replaceAll('&#39;', '&apos;')), 'fail');
});
