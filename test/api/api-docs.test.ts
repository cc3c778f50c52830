// The server API's documents say what the code does: docs/server-api.md
// names every endpoint, field and code with its status; /api/openapi.json is
// a valid OpenAPI 3.1 document (against the OAI's schema) whose paths are the
// served routes, and live answers, refusals included, match its schemas.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ApiErrorStatus } from '../../src/api/api-errors.js';
import { API_ROUTES } from '../../src/api/server-api.js';
import { repoRoot } from '../../src/observability/dashboards/write-dashboards.js';
import type { GatewayHarness } from '../helpers/gateway-harness.js';
import { TestClient } from '../helpers/test-client.js';
import { api, apiGateway, userUrl } from './api-fixtures.js';

const root = repoRoot();
const doc = readFileSync(join(root, 'docs/server-api.md'), 'utf8');
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('docs/server-api.md and /api/openapi.json', () => {
  let gw: GatewayHarness;
  let openapi: Json;
  let ajv: Ajv2020;

  before(async () => {
    gw = await apiGateway();
    const res = await api(gw.httpUrl, 'GET', '/api/openapi.json', undefined, { key: null });
    assert.equal(res.status, 200, 'served without a key');
    openapi = res.body as Json;
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ ...openapi, $id: 'odin-api' });
  });
  after(async () => gw.stop());

  it('is a valid OpenAPI 3.1 document', () => {
    // Ajv resolves the schema's `$dynamicRef: "#meta"` against the wrong scope; with
    // the default dialect its target is `#/$defs/schema`, so refer to that statically.
    const text = readFileSync(join(root, 'deploy/schema/openapi-3.1-schema.json'), 'utf8').replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"');
    const schema = JSON.parse(text) as Json;
    const meta = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const validate = meta.compile(schema);
    assert.ok(validate(openapi), JSON.stringify(validate.errors?.slice(0, 5)));
    // And the check can fail: a parameter without `in` is refused.
    const broken = structuredClone(openapi);
    delete broken.paths['/api/history'].get.parameters[0].in;
    assert.equal(validate(broken), false);
  });

  it('its paths are exactly the served routes, each documented in docs/server-api.md', () => {
    const inDocument = Object.entries(openapi.paths as Json).flatMap(([path, ops]) => Object.keys(ops as Json).map((m) => `${m.toUpperCase()} ${path}`));
    assert.deepEqual(inDocument.filter((r) => r !== 'GET /api/openapi.json').sort(), [...API_ROUTES].sort());
    for (const route of inDocument) assert.match(doc, new RegExp(`^## ${route.replace(/[.?]/g, '\\$&')}$`, 'm'), `${route} has a section`);
  });

  it('docs/server-api.md lists every code with its status, and the document lists every code', () => {
    for (const [code, status] of Object.entries(ApiErrorStatus)) {
      assert.match(doc, new RegExp(`^\\| ${status} \\| \`${code}\` \\|`, 'm'), `${status} ${code} in the codes table`);
    }
    assert.deepEqual([...openapi.components.schemas.Error.properties.error.properties.code.enum].sort(), Object.keys(ApiErrorStatus).sort());
  });

  it('every field of every request and answer schema is named in docs/server-api.md', () => {
    const schemas = openapi.components.schemas as Json;
    const fields = new Set<string>();
    const collect = (s: Json | undefined): void => {
      if (!s || typeof s !== 'object') return;
      for (const [name, sub] of Object.entries((s.properties ?? {}) as Json)) {
        fields.add(name);
        collect(sub as Json);
      }
      collect(s.items as Json | undefined);
    };
    for (const s of Object.values(schemas)) collect(s as Json);
    for (const op of Object.values(openapi.paths as Json).flatMap((p) => Object.values(p as Json))) {
      for (const p of ((op as Json).parameters ?? []) as Json[]) fields.add(p.name as string);
    }
    fields.delete('type'); // the data message's, documented in docs/protocol.md
    const missing = [...fields].filter((f) => !doc.includes(`\`${f}\``));
    assert.deepEqual(missing, []);
  });

  /** Validates an answer against the schema the document gives for its operation and status. */
  const check = (path: string, method: string, answer: { status: number; body: unknown }): void => {
    const response = openapi.paths[path][method].responses[String(answer.status)];
    assert.ok(response, `${method} ${path} documents status ${answer.status}`);
    const pointer = `odin-api#/paths/${path.replaceAll('/', '~1')}/${method}/responses/${answer.status}/content/application~1json/schema`;
    const validate = ajv.getSchema(pointer) ?? ajv.compile({ $ref: pointer });
    assert.ok(validate(answer.body), `${method} ${path} ${answer.status}: ${JSON.stringify(validate.errors?.slice(0, 3))} for ${JSON.stringify(answer.body)}`);
  };

  it('live answers match the documented schemas, successes and refusals', async () => {
    const client = await TestClient.connect(await userUrl(gw.url, 'dora'));
    await client.subscribe(['docs.a']);
    check('/api/publish', 'post', await api(gw.httpUrl, 'POST', '/api/publish', { channel: 'docs.a', data: { type: 't', x: 1 }, idempotencyKey: 'd-1' }));
    check('/api/publish', 'post', await api(gw.httpUrl, 'POST', '/api/publish', { messages: [{ channel: 'docs.a', data: 2 }, { channel: 'docs.b', data: null }] }));
    check('/api/history', 'get', await api(gw.httpUrl, 'GET', '/api/history?channel=docs.*&limit=1'));
    check('/api/history', 'get', await api(gw.httpUrl, 'GET', '/api/history?channel=docs.a&since=1&epoch=other'));
    check('/api/channels', 'get', await api(gw.httpUrl, 'GET', '/api/channels'));
    check('/api/disconnect', 'post', await api(gw.httpUrl, 'POST', '/api/disconnect', { user: 'dora' }));
    assert.equal(await client.waitClosed(), 4004);
    // Refusals:
    check('/api/publish', 'post', await api(gw.httpUrl, 'POST', '/api/publish', { channel: 'docs.*', data: 1 }));
    check('/api/publish', 'post', await api(gw.httpUrl, 'POST', '/api/publish', { channel: 'docs.a', data: 1 }, { key: null }));
    check('/api/publish', 'post', await api(gw.httpUrl, 'POST', '/api/publish', undefined, { raw: 'x', contentType: 'text/plain' }));
    check('/api/history', 'get', await api(gw.httpUrl, 'GET', '/api/history?channel=docs.a&limit=0'));
    check('/api/disconnect', 'post', await api(gw.httpUrl, 'POST', '/api/disconnect', { user: '' }));
    // And the check can fail: a publish answer without its position does not match.
    assert.throws(() => check('/api/publish', 'post', { status: 200, body: { position: { seq: 'one' } } }));
  });
});
