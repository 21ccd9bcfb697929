/*
 * A mocha root-hook plugin for scripts/conformance: names every test that passed without one
 * request reaching the service (the stand-in vc-test-suite-implementations counts them), so
 * that no test counts as passed only because nothing was sent. A request made by a `before`
 * hook (a credential issued once, then examined by several tests) counts for the tests of
 * that hook's block. Writes requests-sent.json.
 */
import {writeFileSync} from 'node:fs';

const log = () => globalThis.__conformanceRequestsSent || [];
const sent = () => log().length;
const byHooks = new Map(); // mocha suite -> requests its hooks made
const tests = [];
let last = 0;
let before = 0;

function hookRequests(suite) {
  let total = 0;
  for(let s = suite; s; s = s.parent) {
    total += byHooks.get(s) || 0;
  }
  return total;
}

export const mochaHooks = {
  beforeEach() {
    const suite = this.currentTest.parent;
    byHooks.set(suite, (byHooks.get(suite) || 0) + sent() - last);
    before = sent();
  },
  afterEach() {
    const test = this.currentTest;
    const own = log().slice(before);
    tests.push({
      title: test.fullTitle(), state: test.state, requests: own.length,
      hookRequests: hookRequests(test.parent), endpoints: [...new Set(own)].sort()
    });
    last = sent();
  },
  afterAll() {
    writeFileSync('requests-sent.json', JSON.stringify(tests, null, 2));
  }
};
