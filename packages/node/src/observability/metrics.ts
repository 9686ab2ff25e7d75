import { Counter, Gauge, Histogram, Registry } from 'prom-client'

export interface NodeMetricsSources {
  routingTableSize: () => number
  storedItems: () => number
  storedBytes: () => number
}

/**
 * SafeMesh's own Prometheus metrics, registered in the same registry as
 * libp2p's (`@libp2p/prometheus-metrics`) so one `/metrics` shows both.
 */
export class NodeMetrics {
  readonly registry: Registry
  private readonly requests: Counter<'type' | 'outcome'>
  private readonly latency: Histogram<'type'>
  private readonly inFlight: Gauge

  constructor (registry: Registry, sources: NodeMetricsSources) {
    this.registry = registry
    // eslint-disable-next-line no-new -- prom-client registers a gauge as it is constructed
    new Gauge({
      name: 'safemesh_routing_table_size',
      help: 'Other nodes in this node\'s routing view',
      registers: [registry],
      collect () { this.set(sources.routingTableSize()) }
    })
    // eslint-disable-next-line no-new -- prom-client registers a gauge as it is constructed
    new Gauge({
      name: 'safemesh_stored_items',
      help: 'Items (chunks, MutableData, accounts) in this node\'s store',
      registers: [registry],
      collect () { this.set(sources.storedItems()) }
    })
    // eslint-disable-next-line no-new -- prom-client registers a gauge as it is constructed
    new Gauge({
      name: 'safemesh_stored_bytes',
      help: 'Bytes of values in this node\'s store',
      registers: [registry],
      collect () { this.set(sources.storedBytes()) }
    })
    this.requests = new Counter({
      name: 'safemesh_requests_total',
      help: 'Requests served, by message type and outcome (ok or the error code)',
      labelNames: ['type', 'outcome'],
      registers: [registry]
    })
    this.latency = new Histogram({
      name: 'safemesh_request_duration_seconds',
      help: 'Time to serve a request, by message type',
      labelNames: ['type'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry]
    })
    this.inFlight = new Gauge({
      name: 'safemesh_requests_in_flight',
      help: 'Requests from other peers being served now: a handler waiting on a quorum counts until it answers or its requester\'s stream closes',
      registers: [registry]
    })
  }

  /** Runs `work`, the serving of one request from another peer, counted in flight until it settles. */
  async serving<T> (work: () => Promise<T>): Promise<T> {
    this.inFlight.inc()
    try {
      return await work()
    } finally {
      this.inFlight.dec()
    }
  }

  served (type: string, outcome: string, seconds: number): void {
    this.requests.inc({ type, outcome })
    this.latency.observe({ type }, seconds)
  }
}
