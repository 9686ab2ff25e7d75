import { describe, expect, it } from 'vitest'
import type { IncomingMessage } from 'node:http'
import { assertSameOrigin, classifyHost } from '../src/origins.js'
import { Router } from '../src/router.js'

const request = (headers: Record<string, string>): IncomingMessage => ({ headers } as unknown as IncomingMessage)
const CONSOLE = 'http://127.0.0.1:8080'

describe('origins', () => {
  it('tells the console, the content origin and the host form apart, and refuses every other host', () => {
    expect(classifyHost('127.0.0.1:8080', 8080)).toEqual({ kind: 'console' })
    expect(classifyHost('localhost:8080', 8080)).toEqual({ kind: 'content' })
    expect(classifyHost('www.mysite.localhost:8080', 8080)).toEqual({ kind: 'content', site: 'www.mysite' })
    expect(classifyHost('WWW.MySite.LOCALHOST:8080', 8080)).toEqual({ kind: 'content', site: 'www.mysite' })
    for (const host of [undefined, '127.0.0.1:8081', 'localhost:8081', 'evil.example:8080', 'localhost', '127.0.0.1', '.localhost:8080', 'evil.example']) {
      expect(classifyHost(host, 8080), String(host)).toBeUndefined()
    }
  })

  it('lets a same-origin page and a program act, and refuses a page of another origin or a form post', () => {
    const json = { 'content-type': 'application/json' }
    expect(() => { assertSameOrigin(request({ ...json, origin: CONSOLE, 'sec-fetch-site': 'same-origin' }), CONSOLE) }).not.toThrow()
    expect(() => { assertSameOrigin(request(json), CONSOLE) }).not.toThrow()
    expect(() => { assertSameOrigin(request({ ...json, origin: 'http://localhost:8080' }), CONSOLE) }).toThrow(/cross-origin/)
    expect(() => { assertSameOrigin(request({ ...json, 'sec-fetch-site': 'same-site' }), CONSOLE) }).toThrow(/same-site/)
    expect(() => { assertSameOrigin(request({ 'content-type': 'application/x-www-form-urlencoded', origin: CONSOLE }), CONSOLE) }).toThrow(/application\/json/)
  })
})

describe('router', () => {
  const noop = async (): Promise<void> => {}

  it('matches named segments and a rest, GET answers HEAD, and lists the methods a path has', () => {
    const router = new Router()
    router.add('GET', '/api/app-requests/:id', noop)
    router.add('POST', '/api/app-requests/:id/approve', noop, { session: true })
    router.add('GET', '/safe/:site/*', noop)
    expect(router.match('GET', '/api/app-requests/a%20b')).toMatchObject({ params: { id: 'a b' } })
    expect(router.match('HEAD', '/api/app-requests/x')).toMatchObject({ params: { id: 'x' } })
    expect(router.match('POST', '/api/app-requests/x/approve')).toMatchObject({ options: { session: true } })
    expect(router.match('DELETE', '/api/app-requests/x')).toEqual({ allowed: ['GET'] })
    expect(router.match('GET', '/safe/www.site/a/b%20c.html')).toMatchObject({ params: { site: 'www.site', '*': 'a/b%20c.html' } })
    expect(router.match('GET', '/safe/www.site/dir/')).toMatchObject({ params: { '*': 'dir/' } })
    expect(router.match('GET', '/safe/www.site')).toMatchObject({ params: { '*': '' } })
    expect(router.match('GET', '/nothing')).toEqual({ allowed: [] })
    expect(router.match('GET', '/api/app-requests/%E0%A4%A')).toEqual({ allowed: [] })
  })
})
