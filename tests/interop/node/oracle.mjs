#!/usr/bin/env node
/*
 * Offline interop oracle built on Digital Bazaar's VC libraries.
 *
 * Reads ONE JSON job (an object) or a batch (a JSON array of jobs) on stdin
 * and writes ONE JSON result (or an array of results, same order) on stdout.
 *
 * Exit codes: 0 = the job(s) ran (verification may still have failed: look at
 * "verified"); 2 = harness error (bad job, unreadable input, internal crash),
 * with {"harnessError": "..."} on stdout and details on stderr.  In a batch a
 * malformed job gives {"harnessError": "..."} in its slot and the run exits 2.
 *
 * Jobs:
 *   {"op": "verify", "credential": {...}, "documents": {url: doc},
 *    "checkStatus": true, "full": true, "now": "2026-01-01T00:00:00Z"?,
 *    "maxClockSkew": 300?, "strictProofSet": true?,
 *    "vmDateCheck": "none" | "created" | "now"?}
 *     -> {"verified": bool, "error": string|null, "statusResults": [...],
 *         "libraryVerified": bool, "proofResults": [...]}
 *   {"op": "sign", "credential": {...},
 *    "cryptosuite": "eddsa-rdfc-2022" | "eddsa-jcs-2022",
 *    "key": {"id", "controller", "publicKeyMultibase", "secretKeyMultibase"},
 *    "date": "2026-01-01T00:00:00Z", "documents": {...}}
 *     -> {"signed": {...} | null, "error": string|null}
 *   {"op": "verifyPresentation", "presentation": {...}, "documents": {...},
 *    "challenge": "...", "domain": "..."?, "checkStatus": true?, "now": ...?}
 *     -> {"verified": bool, "error": string|null,
 *         "presentationVerified": bool|null, "credentialResults": [{"verified", "error"}]}
 *   {"op": "signPresentation", "presentation": {...}, "key": {...},
 *    "challenge": "...", "domain": "..."?, "date": "...", "documents": {...}}
 *     -> {"signed": {...} | null, "error": string|null}
 *   {"op": "ping"} -> {"ok": true, "versions": {...}}
 *   {"op": "bench", "credential": {...}, "documents": {...}, "seconds": 2}
 *     -> {"ops", "seconds", "perSecond"}: proof-only verifications (scripts/bench)
 *   {"op": "benchSign", "credential": {...}, "key": {...}, "date": "...",
 *    "documents": {...}, "seconds": 2}
 *     -> {"ops", "seconds", "perSecond"}: eddsa-rdfc-2022 signatures (scripts/bench)
 *
 * The document loader never touches the network: contexts come from the npm
 * context packages and the Python package's pinned context files; everything
 * else comes from the job's "documents" (or, for did:key, is computed
 * locally); any other URL is refused.
 */
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import * as didKey from '@digitalbazaar/did-method-key';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as eddsaJcs2022 from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {checkStatus as bslCheckStatus} from
  '@digitalbazaar/vc-bitstring-status-list';
import {contexts as credentialsContexts} from
  '@digitalbazaar/credentials-context';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import jsigs from 'jsonld-signatures';

const require = createRequire(import.meta.url);
const dataIntegrityContext = require('@digitalbazaar/data-integrity-context');
const multikeyContext = require('@digitalbazaar/multikey-context');
const didContext = require('did-context');

const {purposes: {AssertionProofPurpose}} = jsigs;

const HERE = dirname(fileURLToPath(import.meta.url));
const PY_CONTEXT_DIR = join(
  HERE, '..', '..', '..', 'credential_service', 'crypto', 'contexts');
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
const VM_RELATIONSHIPS = [
  'verificationMethod', 'assertionMethod', 'authentication',
  'capabilityInvocation', 'capabilityDelegation', 'keyAgreement'
];
const BLOCKING_STATUS_PURPOSES = new Set(['revocation', 'suspension']);

// ---------------------------------------------------------------- contexts

function buildPinnedContexts() {
  const pinned = new Map();
  for(const [url, ctx] of credentialsContexts) {
    pinned.set(url, ctx);
  }
  for(const [url, ctx] of dataIntegrityContext.contexts) {
    pinned.set(url, ctx);
  }
  for(const [url, ctx] of multikeyContext.contexts) {
    pinned.set(url, ctx);
  }
  pinned.set(didContext.constants.DID_CONTEXT_URL,
    didContext.contexts.get(didContext.constants.DID_CONTEXT_URL));
  const files = {
    'https://www.w3.org/ns/credentials/examples/v2':
      'credentials-examples-v2.jsonld',
    'https://www.w3.org/ns/credentials/status/v1':
      'credentials-status-v1.jsonld',
    'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json':
      'ob-context-3.0.3.json',
    'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json':
      'ob-extensions.json',
    'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json':
      'clr-context-2.0.1.json'
  };
  for(const [url, file] of Object.entries(files)) {
    const path = join(PY_CONTEXT_DIR, file);
    let text;
    try {
      text = readFileSync(path, 'utf8');
    } catch(e) {
      throw new Error(`pinned context file missing: ${path} (${e.message})`);
    }
    pinned.set(url, JSON.parse(text));
  }
  for(const [url, ctx] of pinned) {
    if(!ctx) {
      throw new Error(`pinned context ${url} not found in its npm package`);
    }
  }
  return pinned;
}

const PINNED_CONTEXTS = buildPinnedContexts();

// ---------------------------------------------------------- document loader

const didKeyDriver = didKey.driver();
didKeyDriver.use({
  multibaseMultikeyHeader: 'z6Mk',
  fromMultibase: Ed25519Multikey.from
});

function clone(x) {
  return structuredClone(x);
}

function findVerificationMethod(doc, url) {
  const base = url.slice(0, url.indexOf('#'));
  const fragment = url.slice(url.indexOf('#'));
  for(const rel of VM_RELATIONSHIPS) {
    let values = doc[rel];
    if(values === undefined) {
      continue;
    }
    values = Array.isArray(values) ? values : [values];
    for(const vm of values) {
      if(!(vm && typeof vm === 'object')) {
        continue;
      }
      const id = vm.id;
      if(id === url || id === fragment || (id && base + id === url)) {
        return vm;
      }
    }
  }
  return null;
}

function vmContextFor(vm, doc) {
  if(vm['@context']) {
    return vm['@context'];
  }
  if(vm.type === 'Multikey') {
    // @digitalbazaar/ed25519-multikey requires this context on a Multikey
    return MULTIKEY_V1;
  }
  return doc['@context'];
}

function createDocumentLoader(documents = {}) {
  if(!(documents && typeof documents === 'object' &&
    !Array.isArray(documents))) {
    throw new TypeError('"documents" must be an object (url -> document).');
  }
  for(const url of Object.keys(documents)) {
    if(PINNED_CONTEXTS.has(url)) {
      throw new TypeError(
        `"documents" must not override the pinned context ${url}`);
    }
  }
  const loaded = [];
  const loader = async url => {
    const result = await resolve(url);
    loaded.push(url);
    return {contextUrl: null, documentUrl: url, document: result};
  };
  loader.loaded = loaded;
  async function resolve(url) {
    if(typeof url !== 'string') {
      throw new TypeError(`refused: non-string URL ${JSON.stringify(url)}`);
    }
    if(PINNED_CONTEXTS.has(url)) {
      return clone(PINNED_CONTEXTS.get(url));
    }
    if(Object.hasOwn(documents, url)) {
      return clone(documents[url]);
    }
    const hash = url.indexOf('#');
    if(hash > 0) {
      const base = url.slice(0, hash);
      if(Object.hasOwn(documents, base)) {
        const doc = documents[base];
        const vm = findVerificationMethod(doc, url);
        if(!vm) {
          throw new Error(
            `verification method ${url} not found in the document ` +
            `given for ${base}`);
        }
        const found = {'@context': vmContextFor(vm, doc), ...clone(vm)};
        // a relative id ("#key-1") is reported as the absolute URL that was
        // asked for, as a DID resolver dereferencing the DID URL would; the
        // DID document itself is given to jsonld-signatures unchanged (it
        // compares assertionMethod entries as plain strings, so relative
        // references there do not match)
        found.id = url;
        return found;
      }
    }
    if(url.startsWith('did:key:')) {
      const doc = await didKeyDriver.get({url});
      return clone(doc);
    }
    throw new Error(`refused: ${url} is not pinned`);
  }
  return loader;
}

// ------------------------------------------------------------------ helpers

function describeError(err, depth = 0) {
  if(err === undefined || err === null) {
    return null;
  }
  if(depth > 6) {
    return '...';
  }
  if(Array.isArray(err)) {
    const parts = err.map(e => describeError(e, depth + 1)).filter(Boolean);
    return [...new Set(parts)].join('; ') || null;
  }
  if(typeof err !== 'object') {
    return String(err);
  }
  const parts = [];
  const details = err.details && typeof err.details === 'object' ?
    err.details : null;
  if(Array.isArray(err.errors) && err.errors.length > 0) {
    parts.push(describeError(err.errors, depth + 1));
  } else if(details && String(err.name).startsWith('jsonld.')) {
    // jsonld's messages are long and generic; the details say what failed
    const what = [details.code, details.url].filter(Boolean).join(' ');
    const event = details.event && details.event.message ?
      `: ${details.event.message}` +
      (details.event.details ?
        ` ${JSON.stringify(details.event.details)}` : '') : '';
    parts.push(`${err.name}${what ? ` (${what})` : ''}${event}` +
      (what || event ? '' : `: ${err.message}`));
    if(details.cause) {
      parts.push(`cause: ${describeError(details.cause, depth + 1)}`);
    }
  } else if(err.message) {
    parts.push(err.name && err.name !== 'Error' ?
      `${err.name}: ${err.message}` : err.message);
  }
  if(err.cause) {
    const cause = describeError(err.cause, depth + 1);
    if(cause && !parts.some(p => p.includes(cause))) {
      parts.push(`cause: ${cause}`);
    }
  }
  return parts.filter(Boolean).join('; ') || String(err);
}

function proofsOf(credential) {
  const {proof} = credential;
  if(proof === undefined || proof === null) {
    return [];
  }
  return Array.isArray(proof) ? proof : [proof];
}

function verifySuites() {
  return [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({
      cryptosuite: eddsaJcs2022.createVerifyCryptosuite()
    })
  ];
}

function summarizeProofResults(results = []) {
  return results.map(r => {
    const vm = r.verificationMethod;
    const out = {
      verificationMethod: typeof r.proof?.verificationMethod === 'object' ?
        r.proof.verificationMethod.id : r.proof?.verificationMethod ?? null,
      cryptosuite: r.proof?.cryptosuite ?? null,
      proofPurpose: r.proof?.proofPurpose ?? null,
      created: r.proof?.created ?? null,
      verified: r.verified === true,
      error: describeError(r.error)
    };
    if(vm && typeof vm === 'object') {
      out.controller = typeof vm.controller === 'object' ?
        vm.controller.id : vm.controller ?? null;
      if(vm.revoked !== undefined) {
        out.vmRevoked = vm.revoked;
      }
      if(vm.expires !== undefined) {
        out.vmExpires = vm.expires;
      }
    }
    return out;
  });
}

function summarizeStatusResults(statusResult) {
  if(!statusResult) {
    return [];
  }
  return (statusResult.results || []).map(r => ({
    statusPurpose: r.credentialStatus?.statusPurpose ?? null,
    statusListCredential: r.credentialStatus?.statusListCredential ?? null,
    statusListIndex: r.credentialStatus?.statusListIndex ?? null,
    status: r.status ?? null,
    verified: r.verified === true
  }));
}

function makeCheckStatus({enabled}) {
  if(!enabled) {
    // status deliberately not checked; vc.verifyCredential needs a function
    return async () => ({verified: true, skipped: true, results: []});
  }
  return async options => {
    const result = await bslCheckStatus({
      credential: options.credential,
      documentLoader: options.documentLoader,
      suite: options.suite,
      verifyBitstringStatusListCredential: true,
      verifyMatchingIssuers: true
    });
    if(!result.verified) {
      return result;
    }
    // the library reports a set bit as {verified: true, status: true}
    const blocking = (result.results || []).filter(r => r.status === true &&
      BLOCKING_STATUS_PURPOSES.has(r.credentialStatus?.statusPurpose));
    if(blocking.length > 0) {
      const what = blocking.map(r => {
        const cs = r.credentialStatus;
        return `${cs.statusPurpose} bit set (index ${cs.statusListIndex} ` +
          `of ${cs.statusListCredential})`;
      }).join(', ');
      const purposes = blocking.map(r => r.credentialStatus.statusPurpose);
      const verb = purposes.includes('revocation') ? 'revoked' : 'suspended';
      return {
        verified: false,
        results: result.results,
        error: new Error(`credential is ${verb}: ${what}`)
      };
    }
    return result;
  };
}

function checkVmDates({proofResults, mode, now}) {
  if(!mode || mode === 'none') {
    return null;
  }
  if(!['created', 'now'].includes(mode)) {
    throw new TypeError('"vmDateCheck" must be "none", "created" or "now".');
  }
  const problems = [];
  for(const r of proofResults) {
    let at;
    if(mode === 'created') {
      at = r.created ? new Date(r.created) : null;
      if(!at) {
        problems.push(`proof by ${r.verificationMethod} has no "created"`);
        continue;
      }
    } else {
      at = now ? new Date(now) : new Date();
    }
    for(const [field, label] of [['vmRevoked', 'revoked'],
      ['vmExpires', 'expires']]) {
      if(r[field] === undefined) {
        continue;
      }
      const limit = new Date(r[field]);
      if(isNaN(limit) || at >= limit) {
        problems.push(`verification method ${r.verificationMethod} ` +
          `${label} ${r[field]} (checked at ${mode} ${at.toISOString()})`);
      }
    }
  }
  return problems.length > 0 ?
    `oracle check: ${problems.join('; ')}` : null;
}

// --------------------------------------------------------------------- ops

async function opVerify(job) {
  const {credential} = job;
  if(!(credential && typeof credential === 'object' &&
    !Array.isArray(credential))) {
    throw new TypeError('"credential" must be a JSON object.');
  }
  const full = job.full !== false;
  const checkStatusEnabled = job.checkStatus !== false;
  const strictProofSet = job.strictProofSet !== false;
  const documentLoader = createDocumentLoader(job.documents || {});
  const suite = verifySuites();
  // the libraries may mutate; give them their own copy
  const input = clone(credential);

  let result;
  if(full) {
    const options = {
      credential: input,
      suite,
      documentLoader,
      checkStatus: makeCheckStatus({enabled: checkStatusEnabled})
    };
    if(job.now !== undefined) {
      options.now = job.now;
    }
    if(job.maxClockSkew !== undefined) {
      options.maxClockSkew = job.maxClockSkew;
    }
    result = await vc.verifyCredential(options);
  } else {
    result = await jsigs.verify(input, {
      suite,
      purpose: new AssertionProofPurpose(),
      documentLoader
    });
  }

  const libraryVerified = result.verified === true;
  const proofResults = summarizeProofResults(
    (result.results || []).filter(r => r && r.proof));
  const statusResults = summarizeStatusResults(result.statusResult);
  const errors = [];
  if(!libraryVerified) {
    const err = result.statusResult && result.statusResult.error ?
      result.statusResult.error : result.error;
    const msg = describeError(err) ||
      describeError((result.results || []).map(r => r.error));
    errors.push(msg || 'not verified (no error given by the library)');
  }
  if(libraryVerified && strictProofSet) {
    // jsonld-signatures accepts a proof set when ANY proof verifies and
    // silently skips proofs no suite/purpose matches; Data Integrity wants
    // every proof to verify.
    const all = proofsOf(credential);
    const bad = proofResults.filter(r => !r.verified);
    if(bad.length > 0) {
      errors.push('proof set: ' + bad.map(r =>
        `proof by ${r.verificationMethod} failed: ${r.error}`).join('; '));
    }
    if(proofResults.length < all.length) {
      errors.push(`proof set: only ${proofResults.length} of ${all.length} ` +
        'proofs matched a supported suite (DataIntegrityProof with ' +
        'eddsa-rdfc-2022/eddsa-jcs-2022) and proofPurpose assertionMethod');
    }
  }
  if(libraryVerified) {
    const vmProblem = checkVmDates({
      proofResults, mode: job.vmDateCheck, now: job.now
    });
    if(vmProblem) {
      errors.push(vmProblem);
    }
  }
  return {
    verified: errors.length === 0,
    error: errors.length === 0 ? null : errors.join(' | '),
    statusResults,
    libraryVerified,
    proofResults,
    loaded: [...new Set(documentLoader.loaded)]
      .filter(u => !PINNED_CONTEXTS.has(u))
  };
}

async function opSign(job) {
  const {credential, cryptosuite, key, date} = job;
  if(!(credential && typeof credential === 'object' &&
    !Array.isArray(credential))) {
    throw new TypeError('"credential" must be a JSON object.');
  }
  if(!(key && typeof key === 'object')) {
    throw new TypeError('"key" must be an object.');
  }
  // 0x8026 + 32-byte seed ("z3u2..."); "privateKeyMultibase" is accepted as
  // an alias (the W3C vc-di-eddsa keyPair.json spells it that way)
  const secretKeyMultibase = key.secretKeyMultibase ?? key.privateKeyMultibase;
  for(const [name, value] of [['key.id', key.id],
    ['key.controller', key.controller],
    ['key.publicKeyMultibase', key.publicKeyMultibase],
    ['key.secretKeyMultibase', secretKeyMultibase]]) {
    if(typeof value !== 'string' || !value) {
      throw new TypeError(`"${name}" must be a non-empty string.`);
    }
  }
  let cs;
  if(cryptosuite === 'eddsa-rdfc-2022') {
    cs = eddsaRdfc2022;
  } else if(cryptosuite === 'eddsa-jcs-2022') {
    cs = eddsaJcs2022.createSignCryptosuite();
  } else {
    throw new TypeError(
      '"cryptosuite" must be "eddsa-rdfc-2022" or "eddsa-jcs-2022".');
  }
  const documentLoader = createDocumentLoader(job.documents || {});
  try {
    const keyPair = await Ed25519Multikey.from({
      '@context': MULTIKEY_V1,
      type: 'Multikey',
      id: key.id,
      controller: key.controller,
      publicKeyMultibase: key.publicKeyMultibase,
      secretKeyMultibase
    });
    const suiteOptions = {signer: keyPair.signer(), cryptosuite: cs};
    if(date !== undefined && date !== null) {
      suiteOptions.date = date;
    }
    const suite = new DataIntegrityProof(suiteOptions);
    const issueOptions = {credential: clone(credential), suite,
      documentLoader};
    if(job.now !== undefined) {
      issueOptions.now = job.now;
    }
    const signed = await vc.issue(issueOptions);
    return {signed, error: null};
  } catch(e) {
    return {signed: null, error: describeError(e)};
  }
}

// vc.verify (the presentation verifier) as a verifier calls it: the presentation's proof with
// AuthenticationProofPurpose (challenge and domain), then every credential with
// vc.verifyCredential (status as in opVerify).
async function opVerifyPresentation(job) {
  const {presentation} = job;
  if(!(presentation && typeof presentation === 'object' &&
    !Array.isArray(presentation))) {
    throw new TypeError('"presentation" must be a JSON object.');
  }
  if(typeof job.challenge !== 'string') {
    throw new TypeError('"challenge" must be a string.');
  }
  const documentLoader = createDocumentLoader(job.documents || {});
  const options = {
    presentation: clone(presentation),
    suite: verifySuites(),
    documentLoader,
    challenge: job.challenge,
    checkStatus: makeCheckStatus({enabled: job.checkStatus !== false})
  };
  if(job.domain !== undefined) {
    options.domain = job.domain;
  }
  if(job.now !== undefined) {
    options.now = job.now;
  }
  let result;
  try {
    result = await vc.verify(options);
  } catch(e) {
    // the library throws for a presentation it will not even read
    return {verified: false, error: describeError(e), presentationVerified: null,
      credentialResults: []};
  }
  const credentialResults = (result.credentialResults || []).map(r => ({
    verified: r.verified === true,
    error: r.verified === true ? null : describeError(
      r.error || (r.statusResult && r.statusResult.error) ||
      (r.results || []).map(x => x.error))
  }));
  const presentationVerified = result.presentationResult ?
    result.presentationResult.verified === true : null;
  const errors = [];
  if(presentationVerified === false) {
    errors.push('presentation: ' + (describeError(result.error) ||
      describeError((result.presentationResult.results || [])
        .map(x => x.error)) || 'not verified'));
  }
  credentialResults.forEach((r, i) => {
    if(!r.verified) {
      errors.push(`credential ${i + 1}: ${r.error}`);
    }
  });
  return {
    verified: result.verified === true,
    error: errors.length ? errors.join(' | ') : null,
    presentationVerified,
    credentialResults
  };
}

async function opSignPresentation(job) {
  const {presentation, key} = job;
  if(!(presentation && typeof presentation === 'object')) {
    throw new TypeError('"presentation" must be a JSON object.');
  }
  const secretKeyMultibase = key?.secretKeyMultibase ?? key?.privateKeyMultibase;
  const documentLoader = createDocumentLoader(job.documents || {});
  try {
    const keyPair = await Ed25519Multikey.from({
      '@context': MULTIKEY_V1,
      type: 'Multikey',
      id: key.id,
      controller: key.controller,
      publicKeyMultibase: key.publicKeyMultibase,
      secretKeyMultibase
    });
    const suiteOptions = {signer: keyPair.signer(),
      cryptosuite: eddsaRdfc2022};
    if(job.date !== undefined && job.date !== null) {
      suiteOptions.date = job.date;
    }
    const signed = await vc.signPresentation({
      presentation: clone(presentation),
      suite: new DataIntegrityProof(suiteOptions),
      documentLoader,
      challenge: job.challenge,
      domain: job.domain
    });
    return {signed, error: null};
  } catch(e) {
    return {signed: null, error: describeError(e)};
  }
}

async function opPing() {
  const versions = {node: process.versions.node};
  for(const name of [
    '@digitalbazaar/vc', '@digitalbazaar/data-integrity',
    '@digitalbazaar/eddsa-rdfc-2022-cryptosuite',
    '@digitalbazaar/eddsa-jcs-2022-cryptosuite', 'jsonld-signatures',
    '@digitalbazaar/vc-bitstring-status-list', 'jsonld'
  ]) {
    const pkg = join(HERE, 'node_modules', ...name.split('/'), 'package.json');
    versions[name] = JSON.parse(readFileSync(pkg, 'utf8')).version;
  }
  return {ok: true, versions, contexts: [...PINNED_CONTEXTS.keys()]};
}

class HarnessError extends Error {}

// Throughput of a proof-only verification (jsigs.verify) of one credential, for scripts/bench.
async function opBench(job) {
  const documentLoader = createDocumentLoader(job.documents || {});
  const suite = verifySuites();
  const seconds = Number(job.seconds || 2);
  const once = async () => {
    const result = await jsigs.verify(clone(job.credential), {
      suite, purpose: new AssertionProofPurpose(), documentLoader
    });
    if(!result.verified) {
      throw new HarnessError('bench credential does not verify: ' +
        describeError(result.error));
    }
  };
  await once(); // warm-up: contexts loaded and processed once
  let count = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  while(process.hrtime.bigint() - start < limit) {
    await once();
    count++;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return {ops: count, seconds: elapsed, perSecond: count / elapsed};
}

// Throughput of eddsa-rdfc-2022 signing (jsigs.sign) of one unsigned credential, for scripts/bench.
async function opBenchSign(job) {
  const {key} = job;
  const documentLoader = createDocumentLoader(job.documents || {});
  const keyPair = await Ed25519Multikey.from({
    '@context': MULTIKEY_V1,
    type: 'Multikey',
    id: key.id,
    controller: key.controller,
    publicKeyMultibase: key.publicKeyMultibase,
    secretKeyMultibase: key.secretKeyMultibase
  });
  const suite = new DataIntegrityProof({
    signer: keyPair.signer(), cryptosuite: eddsaRdfc2022, date: job.date
  });
  const seconds = Number(job.seconds || 2);
  const once = () => jsigs.sign(clone(job.credential), {
    suite, purpose: new AssertionProofPurpose(), documentLoader
  });
  await once(); // warm-up: contexts loaded and processed once
  let count = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  while(process.hrtime.bigint() - start < limit) {
    await once();
    count++;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return {ops: count, seconds: elapsed, perSecond: count / elapsed};
}

async function runJob(job) {
  if(!(job && typeof job === 'object' && !Array.isArray(job))) {
    throw new HarnessError('a job must be a JSON object');
  }
  switch(job.op) {
    case 'verify':
      return opVerify(job);
    case 'sign':
      return opSign(job);
    case 'verifyPresentation':
      return opVerifyPresentation(job);
    case 'signPresentation':
      return opSignPresentation(job);
    case 'ping':
      return opPing();
    case 'bench':
      return opBench(job);
    case 'benchSign':
      return opBenchSign(job);
    default:
      throw new HarnessError(
        `unknown op ${JSON.stringify(job.op)} (verify, sign, ` +
        'verifyPresentation, signPresentation, ping, bench, benchSign)');
  }
}

async function main() {
  let input;
  try {
    input = JSON.parse(readFileSync(0, 'utf8'));
  } catch(e) {
    process.stdout.write(JSON.stringify(
      {harnessError: `cannot read a JSON job on stdin: ${e.message}`}) + '\n');
    return 2;
  }
  const batch = Array.isArray(input);
  const jobs = batch ? input : [input];
  const results = [];
  let failed = false;
  for(const job of jobs) {
    try {
      results.push(await runJob(job));
    } catch(e) {
      failed = true;
      process.stderr.write(`oracle: ${e && e.stack || e}\n`);
      results.push({harnessError: describeError(e)});
    }
  }
  process.stdout.write(JSON.stringify(batch ? results : results[0]) + '\n');
  return failed ? 2 : 0;
}

main().then(code => {
  process.exitCode = code;
}, e => {
  process.stderr.write(`oracle: ${e && e.stack || e}\n`);
  process.stdout.write(JSON.stringify({harnessError: String(e)}) + '\n');
  process.exitCode = 2;
});
