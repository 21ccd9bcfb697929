/*
 * A local stand-in for `vc-test-suite-implementations` (w3c), which is on GitHub only.
 *
 * Same exports as its lib/main.js for what the W3C test suites use: the implementations are
 * those of `localConfig.cjs` in the directory mocha runs in (the suite's root), as the real
 * package reads them with `localConfig.settings` defaults; no remote manifests. Endpoints post
 * with fetch, sending the endpoint's `headers`; a non-2xx answer is an `error`, as the real
 * package's http-client makes it.
 */
import {createRequire} from 'node:module';
import {join} from 'node:path';

const require = createRequire(import.meta.url);

function loadLocalConfig() {
  try {
    return require(join(process.cwd(), 'localConfig.cjs'));
  } catch(e) {
    if(e?.code === 'MODULE_NOT_FOUND') {
      return {};
    }
    throw e;
  }
}

const localConfig = loadLocalConfig();
export const localSettings = {
  enableInteropTests: false,
  testAllImplementations: false,
  ...localConfig.settings
};

export class Endpoint {
  constructor({settings}) {
    this.settings = {...settings};
  }
  get tags() {
    return new Set(this.settings.tags);
  }
  async post({headers = {}, url, json, body} = {}) {
    return request({method: 'POST', url: url || this.settings.endpoint,
      headers: {...this.settings.headers, ...headers}, json, body});
  }
  async put({headers = {}, url, json, body} = {}) {
    return request({method: 'PUT', url: url || this.settings.endpoint,
      headers: {...this.settings.headers, ...headers}, json, body});
  }
  async get({headers = {}, url} = {}) {
    return request({method: 'GET', url: url || this.settings.endpoint,
      headers: {...this.settings.headers, ...headers}});
  }
}

async function request({method, url, headers, json, body}) {
  // counted so that the run can name any test that passed without sending a request
  // (tests/conformance/requests-sent.mjs)
  (globalThis.__conformanceRequestsSent ??= []).push(`${method} ${new URL(url).pathname}`);
  const init = {method, headers: {Accept: 'application/json', ...headers}};
  if(json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers['Content-Type'] = 'application/json';
  } else if(body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch(error) {
    return {result: undefined, error, data: undefined, statusCode: undefined};
  }
  const text = await response.text();
  let data;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch{
    data = text;
  }
  if(data && data.verifiableCredential) {
    data = data.verifiableCredential;
  }
  const result = {ok: response.ok, status: response.status, data};
  if(!response.ok) {
    const error = new Error(`${method} ${url}: HTTP ${response.status}`);
    error.status = response.status;
    error.data = data;
    return {result: undefined, error, data, statusCode: response.status};
  }
  return {result, error: undefined, data, statusCode: response.status};
}

export class Implementation {
  constructor(settings) {
    this.settings = settings;
    for(const [key, value] of Object.entries(settings)) {
      if(Array.isArray(value)) {
        Object.defineProperty(this, key, {
          get: () => value.map(setting => new Endpoint({settings: setting}))
        });
      }
    }
  }
}

let local = localConfig.implementations || [];
if(!Array.isArray(local)) {
  local = [local];
}
export const rawImplementations = local;
export const implementations = new Map(
  local.map(settings => [settings.name, new Implementation(settings)]));
export const allImplementations = implementations;

export const filterImplementations = ({
  implementations: from = allImplementations, filter
}) => {
  const match = new Map();
  const nonMatch = new Map();
  for(const [key, value] of from) {
    (filter({key, value}) === true ? match : nonMatch).set(key, value);
  }
  return {match, nonMatch};
};

export const filterByTag = ({
  implementations: from = allImplementations, tags = [], property = 'issuers'
} = {}) => filterImplementations({
  implementations: from,
  filter: ({value}) => (value[property] || []).some(
    endpoint => tags.some(tag => endpoint.tags.has(tag)))
});

export const endpoints = {
  filter({implementations: from = allImplementations, filter}) {
    const match = new Map();
    const nonMatch = new Map();
    for(const [name, implementation] of from) {
      const found = filter({name, implementation});
      (found.length > 0 ? match : nonMatch).set(
        name, {endpoints: found, implementation});
    }
    return {match, nonMatch};
  },
  filterByTag({
    implementations: from = allImplementations, tags = [], property = 'issuers'
  } = {}) {
    return endpoints.filter({
      implementations: from,
      filter: ({implementation}) => (implementation[property] || []).filter(
        endpoint => tags.some(tag => endpoint.tags.has(tag)))
    });
  }
};
