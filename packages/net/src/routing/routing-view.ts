import { TypedEventEmitter } from '@libp2p/interface'
import { closestTo, kadPositionOfName, kadPositionOfPeer, randomXorName, type XorName } from '@safemesh/protocol'
import { setTimeout as sleep } from 'node:timers/promises'
import { multiaddr } from '@multiformats/multiaddr'
import { MESSAGING_PROTOCOL, type Host } from '../host.js'
import type { PeerId, PeerInfo, Startable } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from 'pino'

export interface MembershipChange {
  peer: PeerId
  kind: 'added' | 'removed'
}

export interface RoutingViewEvents {
  /** A node joined or left this node's view; close groups near it may have changed. */
  change: CustomEvent<MembershipChange>
}

/** The first walk after the view stopped growing; later ones double up to `discoveryInterval`. */
const FIRST_SETTLED_WALK = 30_000
/** How long one dial of a node whose connection closed may take. */
const REDIAL_TIMEOUT = 10_000
/**
 * When the dials of a node whose connection closed start (ms after it left): on a saturated
 * machine one dial can time out while the node lives on (measured in the bench: every
 * connection of 32 idle clients dropped during a 64 MiB upload, and the first redials timed
 * out after 10 s). A node that refuses the connection has exited and is not dialled again.
 */
const REDIAL_DELAYS = [0, 2_000, 5_000, 10_000]
/** Failed dials of one node that still make the view walk again in 2 s. */
const MAX_QUICK_RETRIES = 3
/** After this many failed dials in a row, a node that cannot be reached is not dialled again for a while. */
const DIALS_BEFORE_BACKOFF = 10
/** That while: 30 s, doubling up to 10 min. */
const UNREACHABLE_BACKOFF = 30_000
const MAX_UNREACHABLE_BACKOFF = 600_000
/** Unreachable nodes remembered (fake ones named in DHT answers cost a dial each otherwise); the oldest go past this. */
const MAX_REMEMBERED_FAILURES = 1024

export interface RoutingViewOptions {
  groupSize: number
  log: Logger
  /**
   * Longest interval between discovery walks once the view has settled (ms); the
   * interval doubles from 30 s up to it while nothing changes. Default 5 min: a settled
   * view learns of newcomers by their own walks, which dial every node they find, and
   * each walk costs the whole network peer-store and routing-table updates.
   */
  discoveryInterval?: number
  /**
   * Addresses to join through. libp2p's bootstrap dials them once at start;
   * while the view is empty the walks dial them again, so a node whose first
   * dial failed (a busy bootstrap node) does not stay alone.
   */
  bootstrap?: string[]
  /**
   * Whether this peer is itself a node, and so a member of close groups.
   * Clients run a routing view too, to find the groups they talk to, but are
   * never in them. Default true.
   */
  member?: boolean
}

interface Member {
  peer: PeerId
  position: Uint8Array
}

/**
 * This node's view of the network: every node it holds a live connection to
 * that serves SafeMesh messaging, plus itself.
 *
 * Membership follows libp2p's topology notifications for the messaging
 * protocol, so a node enters the view once identify has shown it speaks
 * SafeMesh and leaves it as soon as its last connection closes (libp2p's
 * connection monitor pings every connection and closes dead ones, which covers
 * a node that hangs rather than exits), to come back at once if it answers a
 * new dial (`redial`). Clients never serve the messaging
 * protocol, so they are never members.
 *
 * Positions are kad-dht's (SHA-256 of the peer id's multihash; SHA-256 of a
 * name), so `closeGroup(name)` agrees with what `getClosestPeers` finds.
 * Discovery walks (`getClosestPeers` towards this node and towards random
 * names) connect it to every node the DHT knows of, which in networks of up to
 * a few hundred nodes is all of them.
 */
export class RoutingView extends TypedEventEmitter<RoutingViewEvents> implements Startable {
  private readonly host: Host
  private readonly options: Required<RoutingViewOptions>
  private readonly members = new Map<string, Member>()
  /** Consecutive failed dials of discovered nodes that are not in the view, and when to try again; oldest first. */
  private readonly failures = new Map<string, { count: number, retryAt: number }>()
  private readonly selfMember: Member
  private topologyId?: string
  private walker?: ReturnType<typeof setTimeout>
  private readonly shutdown = new AbortController()

  constructor (host: Host, options: RoutingViewOptions) {
    super()
    this.host = host
    this.options = { discoveryInterval: 300_000, bootstrap: [], member: true, ...options }
    this.selfMember = { peer: host.peerId, position: kadPositionOfPeer(host.peerId.toMultihash().bytes) }
  }

  get self (): PeerId {
    return this.host.peerId
  }

  get groupSize (): number {
    return this.options.groupSize
  }

  /** Number of other nodes in the view. */
  get size (): number {
    return this.members.size
  }

  async start (): Promise<void> {
    this.topologyId = await this.host.register(MESSAGING_PROTOCOL, {
      onConnect: (peer) => { this.add(peer) },
      onDisconnect: (peer) => { this.remove(peer) }
    })
    for (const connection of this.host.getConnections()) {
      const protocols: string[] = await this.host.peerStore.get(connection.remotePeer).then(p => p.protocols, () => [])
      if (protocols.includes(MESSAGING_PROTOCOL)) this.add(connection.remotePeer)
    }
    this.scheduleWalk(0)
  }

  async stop (): Promise<void> {
    this.shutdown.abort()
    clearTimeout(this.walker)
    if (this.topologyId != null) this.host.unregister(this.topologyId)
    this.members.clear()
  }

  /** Other nodes in the view, in no particular order. */
  peers (): PeerId[] {
    return [...this.members.values()].map(m => m.peer)
  }

  has (peer: PeerId): boolean {
    return this.members.has(peer.toString())
  }

  /**
   * The `count` (default G) nodes nearest to `name`, nearest first, this node
   * included when it is one of them (and is a node).
   */
  closeGroup (name: XorName, count: number = this.options.groupSize): PeerId[] {
    const target = kadPositionOfName(name)
    const all = this.options.member ? [this.selfMember, ...this.members.values()] : [...this.members.values()]
    return closestTo(target, all, count, m => m.position).map(m => m.peer)
  }

  /** Whether this node is one of the G nodes nearest to `name`. */
  isInCloseGroup (name: XorName): boolean {
    return this.closeGroup(name).some(p => p.equals(this.host.peerId))
  }

  /** Whether `peer` is, as this node sees it, one of the G nodes nearest to `name`. */
  isCloseGroupMember (name: XorName, peer: PeerId): boolean {
    return this.closeGroup(name).some(p => p.equals(peer))
  }

  /**
   * Looks for nodes through the DHT and connects to each one found: towards
   * this node's own position (its neighbourhood matters most) and towards a
   * random name (to fill the far buckets).
   */
  async discover (signal?: AbortSignal): Promise<boolean> {
    if (this.members.size === 0) await this.dialBootstrap()
    let complete = true
    const targets = [this.host.peerId.toMultihash().bytes, randomXorName()]
    for (const key of targets) {
      const found = new Set<string>()
      const reaching: Array<Promise<void>> = []
      // Each node is reached as soon as a response names it, not when the walk ends: a walk
      // can wait seconds on one slow node, and a newcomer should be known to everyone at once.
      const reach = ({ id: peer, multiaddrs }: PeerInfo): void => {
        const id = peer.toString()
        if (found.has(id)) return
        found.add(id)
        if (peer.equals(this.host.peerId) || this.members.has(id)) return
        reaching.push(this.reach(peer, multiaddrs).then(reached => { if (!reached) complete = false }))
      }
      const started = Date.now()
      const walk = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(10_000), ...(signal != null ? [signal] : [])])
      try {
        for await (const event of this.host.services.dht.getClosestPeers(key, { signal: walk })) {
          if (event.name === 'FINAL_PEER') reach(event.peer)
          if (event.name === 'PEER_RESPONSE') for (const p of event.closer) reach(p)
        }
      } catch (err) {
        if (this.shutdown.signal.aborted) return false
        complete = false
        this.options.log.debug({ err: (err as Error).message }, 'discovery walk ended early')
      }
      await Promise.all(reaching)
      // A walk that found nobody ran before the DHT knew anyone: it proves nothing.
      if (found.size === 0) complete = false
      this.options.log.debug({ found: found.size, ms: Date.now() - started, members: this.members.size }, 'discovery walk')
    }
    return complete
  }

  /**
   * Connects to a node a walk found, or, connected but not in the view (identify failed or
   * came late on a busy node), asks it again what it serves. False when the node could not
   * be reached and the view should walk again soon.
   */
  private async reach (peer: PeerId, multiaddrs: Multiaddr[]): Promise<boolean> {
    const failed = this.failures.get(peer.toString())
    const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(5_000)])
    const connection = this.host.getConnections(peer)[0]
    // A node no dial has reached many times over (a fake one a DHT answer named, or one long gone) is
    // left alone for a while; a connected one is always asked again (identify fails on busy nodes).
    if (connection == null && failed != null && failed.retryAt > Date.now()) return true
    try {
      if (connection != null) {
        this.recheck(peer, (await this.host.services.identify.identify(connection, { signal })).protocols)
      } else {
        // The walk may name the node before anything stored its addresses.
        if (multiaddrs.length > 0) await this.host.peerStore.merge(peer, { multiaddrs })
        await this.host.dial(peer, { signal })
      }
      return true
    } catch (err) {
      // A node that keeps failing is most likely gone (the DHT forgets it later): only
      // the first few failures make the view walk again soon.
      const failures = (failed?.count ?? 0) + 1
      const backoff = connection == null && failures >= DIALS_BEFORE_BACKOFF ? Math.min(UNREACHABLE_BACKOFF * 2 ** (failures - DIALS_BEFORE_BACKOFF), MAX_UNREACHABLE_BACKOFF) : 0
      this.failures.delete(peer.toString())
      this.failures.set(peer.toString(), { count: failures, retryAt: Date.now() + backoff })
      if (this.failures.size > MAX_REMEMBERED_FAILURES) this.failures.delete(this.failures.keys().next().value as string)
      this.options.log.debug({ peer: peer.toString(), failures, err: (err as Error).message }, 'could not reach a discovered node')
      return failures > MAX_QUICK_RETRIES
    }
  }

  /**
   * Walks run back to back while the view grows (each new member may know
   * nodes we don't), then every `discoveryInterval` once it has settled.
   */
  private async dialBootstrap (): Promise<void> {
    await Promise.all(this.options.bootstrap.map(async address => {
      await this.host.dial(multiaddr(address), { signal: AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(5_000)]) })
        .catch(err => { this.options.log.debug({ address, err: (err as Error).message }, 'could not dial a bootstrap node') })
    }))
  }

  private scheduleWalk (delay: number): void {
    if (this.shutdown.signal.aborted) return
    clearTimeout(this.walker)
    this.nextWalkAt = Date.now() + delay
    this.walker = setTimeout(() => { void this.walk() }, delay)
    this.walker.unref?.()
  }

  private async walk (): Promise<void> {
    if (this.walking) {
      this.walkAgain = true
      return
    }
    this.walking = true
    const before = this.members.size
    let complete = false
    try {
      complete = await this.discover()
    } finally {
      this.walking = false
    }
    const grew = this.members.size > before || this.walkAgain
    this.walkAgain = false
    // While the view grows, walk back to back; after a walk cut short or a failed dial (a
    // busy node), walk again in 2 s; once the view is settled, back off from 30 s to
    // `discoveryInterval`, so a settled network is left in peace. Alone: keep trying the
    // bootstrap nodes every second.
    this.settledDelay = grew || !complete ? FIRST_SETTLED_WALK : Math.min(this.settledDelay * 2, this.options.discoveryInterval)
    this.settled = complete && !grew && this.members.size > 0
    this.scheduleWalk(this.members.size === 0 ? 1_000 : grew ? 200 : !complete ? 2_000 : this.settledDelay)
  }

  private settledDelay = FIRST_SETTLED_WALK
  /** Whether the last walk found nothing new: this node has joined, the network knows it. */
  private settled = false
  private nextWalkAt = 0

  private walking = false
  private walkAgain = false

  private add (peer: PeerId): void {
    const key = peer.toString()
    if (this.members.has(key) || peer.equals(this.host.peerId)) return
    this.members.set(key, { peer, position: kadPositionOfPeer(peer.toMultihash().bytes) })
    this.failures.delete(key)
    this.options.log.debug({ peer: key, size: this.members.size }, 'node joined the view')
    this.safeDispatchEvent('change', { detail: { peer, kind: 'added' } })
    if (this.settled) {
      // A newcomer dials every node it finds, so a settled node need not look for it; a walk
      // within 30 s covers the rare node it knows and we don't. Every node walking at once on
      // each join would load the whole network while the newcomer needs it most.
      this.settledDelay = FIRST_SETTLED_WALK
      if (!this.walking && this.nextWalkAt > Date.now() + FIRST_SETTLED_WALK) this.scheduleWalk(FIRST_SETTLED_WALK)
    } else if (!this.walking) {
      // Still joining: a new member may know nodes we don't, look again soon.
      this.scheduleWalk(100)
    } else {
      this.walkAgain = true
    }
  }

  private recheck (peer: PeerId, protocols: string[]): void {
    if (protocols.includes(MESSAGING_PROTOCOL) && this.host.getConnections(peer).length > 0) this.add(peer)
  }

  private remove (peer: PeerId): void {
    const key = peer.toString()
    if (!this.members.delete(key)) return
    this.options.log.debug({ peer: key, size: this.members.size }, 'node left the view')
    this.safeDispatchEvent('change', { detail: { peer, kind: 'removed' } })
    void this.redial(peer)
  }

  /**
   * A node whose connection closed may live on: libp2p aborts a connection whose ping missed
   * its timeout, which on a loaded machine a busy but healthy node does. Dialled again at
   * once, it is back in the view as soon as identify has run (topology `onConnect`), rather
   * than at the next walk, which under that same load can take many seconds; a client whose
   * view had shrunk below a quorum could not act meanwhile. A node that exited refuses the
   * dial at once and stays out; then a walk soon looks for what else changed. A dial that
   * times out (a busy node) is tried again a few times (`REDIAL_DELAYS`).
   */
  private async redial (peer: PeerId): Promise<void> {
    for (const delay of REDIAL_DELAYS) {
      if (delay > 0) await sleep(delay, undefined, { signal: this.shutdown.signal }).catch(() => {})
      // Back already (its own dial, or a walk's), or stopping.
      if (this.shutdown.signal.aborted || this.members.has(peer.toString())) return
      try {
        await this.host.dial(peer, { signal: AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(REDIAL_TIMEOUT)]) })
        this.options.log.debug({ peer: peer.toString() }, 'dialled a node again after its connection closed')
        return
      } catch (err) {
        if (this.shutdown.signal.aborted) return
        this.options.log.debug({ peer: peer.toString(), delay, err: (err as Error).message }, 'a node whose connection closed could not be dialled again')
        // A walk within 2 s (never later than one already due: many failing redials must not
        // keep pushing it back) looks for what else changed.
        if (this.walking) this.walkAgain = true
        else if (this.nextWalkAt > Date.now() + 2_000) this.scheduleWalk(2_000)
        // Refused: the node has exited.
        if (isRefused(err)) return
      }
    }
  }
}

function isRefused (err: unknown): boolean {
  const errors = (err as Partial<AggregateError>).errors ?? []
  const text = [err, (err as { cause?: unknown }).cause, ...errors].map(e => e instanceof Error ? `${e.message} ${(e as { code?: string }).code ?? ''}` : String(e)).join(' ')
  return text.includes('ECONNREFUSED')
}
