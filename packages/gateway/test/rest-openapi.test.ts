import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { Router, type Handler, type RouteOptions } from '../src/router.js'
import { registerRestRoutes } from '../src/rest/routes.js'
import { listData } from '../src/rest/list-data.js'
import { OPENAPI_FILE } from '../src/rest/openapi.js'
import type { GatewayState } from '../src/state.js'

interface Operation {
  security?: Array<Record<string, string[]>>
  parameters?: Array<{ name: string, in: string }>
  responses: Record<string, unknown>
}
interface OpenApi {
  openapi: string
  security: Array<Record<string, string[]>>
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, { type: string, in?: string, name?: string, scheme?: string }> }
}

/** The routes registerRestRoutes adds, in order. */
class Recording extends Router {
  readonly added: Array<{ method: string, pattern: string, handler: Handler, options: RouteOptions }> = []
  override add (method: string, pattern: string, handler: Handler, options: RouteOptions = {}): void {
    this.added.push({ method, pattern, handler, options })
    super.add(method, pattern, handler, options)
  }
}

const openApiPath = (pattern: string): string => pattern.replace(/:([a-z]+)/g, '{$1}')

describe('the REST API\'s OpenAPI description', async () => {
  const doc = JSON.parse(await readFile(OPENAPI_FILE, 'utf8')) as OpenApi
  const router = new Recording()
  registerRestRoutes(router, {} as unknown as GatewayState)

  it('is OpenAPI 3.1 and its security schemes are the session cookie and the bearer token', () => {
    expect(doc.openapi).toMatch(/^3\.1\./)
    expect(doc.components.securitySchemes).toMatchObject({
      sessionCookie: { type: 'apiKey', in: 'cookie', name: 'safemesh_session' },
      bearerToken: { type: 'http', scheme: 'bearer' }
    })
    expect(doc.security).toEqual([{ sessionCookie: [] }, { bearerToken: [] }])
    expect(doc.paths['/api/session']?.post?.security, 'login needs no session').toEqual([])
  })

  it('documents every REST route with its method, parameters and a 401 when it needs the session', () => {
    expect(router.added.length).toBeGreaterThanOrEqual(5)
    for (const route of router.added) {
      const op = doc.paths[openApiPath(route.pattern)]?.[route.method.toLowerCase()]
      expect(op, `${route.method} ${route.pattern}`).toBeDefined()
      if (op === undefined) continue
      for (const [, name] of route.pattern.matchAll(/:([a-z]+)/g)) {
        expect(op.parameters?.some(p => p.in === 'path' && p.name === name), `${route.pattern}: {${name as string}}`).toBe(true)
      }
      if (route.options.session === true) {
        expect(op.security, `${route.pattern} uses the document's security`).toBeUndefined()
        expect(op.responses['401'], `${route.pattern}: 401`).toBeDefined()
      } else {
        expect(op.security, `${route.pattern} is open`).toEqual([])
      }
      if (route.method === 'POST') expect(op.responses['403'], `${route.pattern}: cross-origin 403`).toBeDefined()
    }
  })

  it('documents nothing that is not served, and every $ref resolves', () => {
    const served = new Set([...router.added.map(r => `${r.method.toLowerCase()} ${openApiPath(r.pattern)}`), 'post /api/session', 'get /api/session', 'delete /api/session'])
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) expect(served.has(`${method} ${path}`), `${method} ${path}`).toBe(true)
    }
    const refs = JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)
    for (const [, ref] of refs) {
      const target = (ref as string).split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc)
      expect(target, ref).toBeDefined()
    }
  })

  it('lists before reading: /data/list is not a hash', () => {
    expect(router.match('GET', '/data/list')).toMatchObject({ handler: listData, options: { session: true } })
    expect(router.match('GET', '/data/sha256:ab')).toMatchObject({ params: { hash: 'sha256:ab' }, options: { session: true } })
    expect(router.match('GET', '/data/sha256%3Aab')).toMatchObject({ params: { hash: 'sha256:ab' } })
  })
})
