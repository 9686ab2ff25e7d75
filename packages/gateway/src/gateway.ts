/**
 * The gateway (issue 16): one HTTP server on 127.0.0.1 that serves sites and raw files from the
 * network as a connected client (no account), and, on its own origin, the console page, its API
 * and seed 002's REST API for an account logged in through it (origins.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo, Socket } from 'node:net'
import { createClient, type ClientOptions } from '@safemesh/client'
import { pino, type Logger } from 'pino'
import { registerConsoleRoutes } from './console/routes.js'
import { registerContentRoutes } from './content/routes.js'
import { HttpError, readJsonBody, sendHtmlError, sendJsonError } from './http.js'
import { assertSameOrigin, classifyHost, type Origin } from './origins.js'
import { registerRestRoutes } from './rest/routes.js'
import { Router, type RequestContext } from './router.js'
import { registerSessionRoutes } from './session-routes.js'
import { Sessions } from './session.js'
import type { GatewayState } from './state.js'

export interface GatewayOptions {
  /** How to reach the network (the reader connects with it; logins use it too). */
  client: ClientOptions
  /** 0 (the default) takes any free port. */
  port?: number
  /** The local testnet's folder: the page lists its nodes. */
  testnetDir?: string
  log?: Logger
}

export interface Gateway {
  readonly port: number
  /** `http://127.0.0.1:<port>`: the page, `/api/…` and the REST API. */
  readonly consoleUrl: string
  /** `http://localhost:<port>`: `/safe/<service>.<publicId>/…` and `/file/<hex>`. */
  readonly contentUrl: string
  close: () => Promise<void>
}

export async function startGateway (options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? pino({ level: 'silent' })
  const reader = await createClient({ ...options.client, log })
  const sockets = new Set<Socket>()
  const closing = new AbortController()
  const server: Server = createServer()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  try {
    server.listen(options.port ?? 0, '127.0.0.1')
    await once(server, 'listening')
  } catch (err) {
    await reader.close()
    throw err
  }
  const port = (server.address() as AddressInfo).port
  const state: GatewayState = {
    reader,
    clientOptions: { ...options.client, log },
    sessions: new Sessions({ ...options.client, log }),
    log,
    port,
    consoleOrigin: `http://127.0.0.1:${port}`,
    contentOrigin: `http://localhost:${port}`,
    ...(options.testnetDir !== undefined ? { testnetDir: options.testnetDir } : {}),
    closing: closing.signal
  }
  const consoleRouter = new Router()
  registerSessionRoutes(consoleRouter, state)
  registerConsoleRoutes(consoleRouter, state)
  registerRestRoutes(consoleRouter, state)
  const contentRouter = new Router()
  registerContentRoutes(contentRouter, state)

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const origin = classifyHost(req.headers.host, port)
    if (origin === undefined) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(`this gateway answers at ${state.consoleOrigin} and ${state.contentOrigin} only\n`)
      return
    }
    void dispatch(origin.kind === 'console' ? consoleRouter : contentRouter, origin, req, res, state)
  })
  log.info({ port }, 'gateway listening')

  return {
    port,
    consoleUrl: state.consoleOrigin,
    contentUrl: state.contentOrigin,
    close: async () => {
      closing.abort(new Error('the gateway is closing'))
      server.close()
      for (const socket of sockets) socket.destroy()
      await state.sessions.closeAll()
      await reader.close()
    }
  }
}

async function dispatch (router: Router, origin: Origin, req: IncomingMessage, res: ServerResponse, state: GatewayState): Promise<void> {
  const isConsole = origin.kind === 'console'
  const fail = (err: unknown): void => {
    if (isConsole) sendJsonError(res, err)
    else sendHtmlError(res, err)
  }
  try {
    const url = new URL(req.url ?? '/', isConsole ? state.consoleOrigin : state.contentOrigin)
    const method = req.method ?? 'GET'
    const found = router.match(method, url.pathname)
    if (!('handler' in found)) {
      if (found.allowed.length > 0) throw new HttpError(405, 'InvalidRequest', `${method} is not allowed here (${[...new Set(found.allowed)].join(', ')})`)
      throw new HttpError(404, 'NoSuchData', `nothing at ${url.pathname}`)
    }
    if (isConsole && method !== 'GET' && method !== 'HEAD') assertSameOrigin(req, state.consoleOrigin)
    const ctx: RequestContext = {
      req,
      res,
      url,
      params: found.params,
      state,
      ...(origin.kind === 'content' && origin.site !== undefined ? { site: origin.site } : {}),
      session: () => state.sessions.fromRequest(req),
      owner: () => {
        const session = state.sessions.fromRequest(req)
        if (session === undefined) throw new HttpError(401, 'AccessDenied', 'log in first (POST /api/session)')
        return session.client
      },
      body: async () => await readJsonBody(req)
    }
    if (found.options.session === true) ctx.owner()
    await found.handler(ctx)
  } catch (err) {
    const described = err instanceof HttpError ? undefined : err
    if (described !== undefined) state.log.debug({ err: described, url: req.url }, 'request failed')
    fail(err)
  }
}
