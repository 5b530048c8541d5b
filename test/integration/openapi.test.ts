import { createRequire } from 'node:module';
import Fastify, { type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/api';
import { ERROR_CODE_KEYWORD } from '../../src/api/schemas/common';
import { AUTH, testGateway, type TestGateway } from '../helpers/gateway';

// Ajv 8 (2020-12 dialect, which OpenAPI 3.1 schemas use) as Fastify ships it; the top-level `ajv` is v6.
const fromFormats = createRequire(createRequire(import.meta.url).resolve('ajv-formats'));
type AjvLike = { compile(schema: unknown): unknown; addKeyword(k: string): void };
const Ajv2020 = (fromFormats('ajv/dist/2020') as { default: new (o: object) => AjvLike }).default;
const addFormats = (fromFormats('ajv-formats') as { default: (a: AjvLike) => void }).default;

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let gw: TestGateway;
let doc: Json;
/** Every /api/v1 route as its declaration registers it: method, url and schema. */
const declared: RouteOptions[] = [];

beforeAll(async () => {
  gw = await testGateway();
  const res = await gw.app.inject({ method: 'GET', url: '/api/v1/openapi.json', headers: AUTH });
  expect(res.statusCode).toBe(200);
  doc = res.json();
  // The route declarations again, on a bare instance with an onRoute hook: what src/api registers.
  const probe = Fastify({ ajv: { customOptions: { keywords: [ERROR_CODE_KEYWORD] } } });
  probe.addHook('onRoute', (r) => {
    if (!r.url.startsWith('/api/v1/')) return;
    for (const method of [r.method].flat()) if (method !== 'HEAD') declared.push({ ...r, method });
  });
  await probe.register(async (scope) => apiRoutes.forEach((routes) => routes(scope, gw.core)), { prefix: '/api/v1' });
  await probe.ready();
  await probe.close();
});
afterAll(async () => gw?.stop());

const oasPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('GET /api/v1/openapi.json', () => {
  it('needs the bearer token like the rest of the API', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it('every /api/v1 route declares a response schema for its success and its errors', () => {
    expect(declared.length).toBeGreaterThan(30);
    const missing = declared
      .filter((r) => {
        const statuses = Object.keys((r.schema?.response as Json | undefined) ?? {});
        return !statuses.some((s) => /^2\d\d$/.test(s)) || !statuses.includes('401');
      })
      .map((r) => `${String(r.method)} ${r.url}`);
    expect(missing).toEqual([]);
  });

  it('describes every /api/v1 route, with a summary, a domain tag and the bearer scheme', () => {
    const paths = doc.paths as Record<string, Record<string, Json>>;
    const tags = new Set((doc.tags as { name: string }[]).map((t) => t.name));
    for (const r of declared) {
      const op = paths[oasPath(r.url)]?.[String(r.method).toLowerCase()];
      expect(op, `${String(r.method)} ${r.url} is not in the document`).toBeDefined();
      expect(op!.summary, `${String(r.method)} ${r.url} has no summary`).toEqual(expect.any(String));
      expect(op!.tags).toHaveLength(1);
      expect(tags.has((op!.tags as string[])[0]!)).toBe(true);
      const success = Object.entries(op!.responses as Record<string, Json>).find(([s]) => /^2\d\d$/.test(s));
      expect(success, `${String(r.method)} ${r.url} documents no success response`).toBeDefined();
      expect(success![1].description, `${String(r.method)} ${r.url} does not say what it answers`).not.toBe('Default Response');
    }
    // Nothing else: channel callbacks and /healthz speak their own dialects.
    const documented = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).filter((m) => METHODS.includes(m)).map((m) => `${m} ${p}`));
    expect(documented.sort()).toEqual(declared.map((r) => `${String(r.method).toLowerCase()} ${oasPath(r.url)}`).sort());
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect((doc.components as Json).securitySchemes).toMatchObject({ bearer: { type: 'http', scheme: 'bearer' } });
  });

  it('is a valid OpenAPI 3.1 document whose every schema compiles', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const TOP = ['openapi', 'info', 'jsonSchemaDialect', 'servers', 'paths', 'webhooks', 'components', 'security', 'tags', 'externalDocs'];
    expect(Object.keys(doc).filter((k) => !TOP.includes(k) && !k.startsWith('x-'))).toEqual([]);
    const schemes = ((doc.components as Json).securitySchemes ?? {}) as Json;
    for (const requirement of (doc.security ?? []) as Json[]) for (const name of Object.keys(requirement)) expect(schemes, `security scheme ${name}`).toHaveProperty(name);
    const info = doc.info as Json;
    expect(info.title).toEqual(expect.any(String));
    expect(info.version).toEqual(expect.any(String));

    const ajv = new Ajv2020({ strict: true, allErrors: false });
    addFormats(ajv);
    // OpenAPI's own vocabulary inside Schema Objects, and our error-code annotation.
    for (const k of ['discriminator', 'xml', 'externalDocs', 'example', ERROR_CODE_KEYWORD]) ajv.addKeyword(k);
    const compile = (where: string, schema: unknown) => {
      expect(() => ajv.compile(schema), `${where}: schema does not compile`).not.toThrow();
    };
    const checkContent = (where: string, content: unknown) => {
      for (const [type, media] of Object.entries((content ?? {}) as Record<string, Json>)) {
        expect(type, where).toMatch(/^[a-z]+\/[a-z0-9.+-]+$/);
        compile(`${where} ${type}`, media.schema);
      }
    };

    const seen = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      expect(path).toMatch(/^\/api\/v1\//);
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        expect(METHODS).toContain(method);
        const where = `${method} ${path}`;
        const params = (op.parameters ?? []) as Json[];
        for (const p of params) {
          expect(['path', 'query', 'header', 'cookie'], where).toContain(p.in);
          expect(p.name, where).toEqual(expect.any(String));
          if (p.in === 'path') expect(p.required, `${where} path param ${String(p.name)}`).toBe(true);
          compile(`${where} param ${String(p.name)}`, p.schema);
          const key = `${String(p.in)}:${String(p.name)}`;
          expect(params.filter((q) => `${String(q.in)}:${String(q.name)}` === key), `${where} repeats ${key}`).toHaveLength(1);
        }
        expect(params.filter((p) => p.in === 'path').map((p) => p.name).sort(), `${where} path parameters`).toEqual([...templated].sort());
        if (op.requestBody) checkContent(`${where} body`, (op.requestBody as Json).content);
        const responses = op.responses as Record<string, Json>;
        expect(Object.keys(responses).length, where).toBeGreaterThan(0);
        for (const [status, response] of Object.entries(responses)) {
          expect(status, where).toMatch(/^([1-5]\d\d|[1-5]XX|default)$/);
          expect(response.description, `${where} ${status} needs a description`).toEqual(expect.any(String));
          checkContent(`${where} ${status}`, response.content);
        }
        if (op.operationId !== undefined) {
          // An operationId is a string by the OpenAPI spec; anything else is a fault of the document.
          expect(op.operationId, where).toEqual(expect.any(String));
          const id = op.operationId as string;
          expect(seen.has(id), `operationId ${id} repeats`).toBe(false);
          seen.add(id);
        }
      }
    }
    for (const [name, schema] of Object.entries(((doc.components as Json).schemas ?? {}) as Json)) compile(`components.schemas.${name}`, schema);
  });
});
