import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

export interface AdminRoutes {
  registry: Registry
  /** JSON for `/status`. */
  status: () => unknown
  /** JSON for `/close-group/<64 hex>`, or undefined when the name is not valid. */
  closeGroup: (nameHex: string) => unknown
}

/**
 * The node's local HTTP endpoint (with `--metrics-port`): Prometheus
 * `/metrics`, plus `/status` and `/close-group/<name>` for the testnet tools
 * and tests, and `/gc` on a node started with --expose-gc. It listens on 127.0.0.1 only: it is for the operator, not the
 * network.
 */
export async function startAdminServer (port: number, routes: AdminRoutes): Promise<{ server: Server, port: number }> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/'
    const reply = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type })
      res.end(body)
    }
    void (async () => {
      if (req.method !== 'GET') return reply(405, 'text/plain', 'method not allowed\n')
      if (url === '/metrics') return reply(200, routes.registry.contentType, await routes.registry.metrics())
      if (url === '/status') return reply(200, 'application/json', JSON.stringify(routes.status()))
      if (url === '/gc') {
        // Only for a node started with --expose-gc (leak tests): a full collection, then the heap as it is.
        const gc = (globalThis as { gc?: () => void }).gc
        if (gc == null) return reply(404, 'text/plain', 'start the node with --expose-gc\n')
        gc()
        return reply(200, 'application/json', JSON.stringify(process.memoryUsage()))
      }
      const match = /^\/close-group\/([0-9a-fA-F]{64})$/.exec(url)
      if (match?.[1] != null) return reply(200, 'application/json', JSON.stringify(routes.closeGroup(match[1])))
      reply(404, 'text/plain', 'not found\n')
    })().catch(err => { reply(500, 'text/plain', `${(err as Error).message}\n`) })
  })
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as AddressInfo).port }
}
