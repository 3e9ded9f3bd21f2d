import { GasError } from '../../errors.js'
import { systemClock, type Clock } from '../../clock.js'
import { TransportBase, checkFrame, peerLost, type Transport } from './transport.js'

/**
 * An in-memory link that behaves like one reliable, ordered data channel (SCTP) over a real
 * network: a serialisation queue at `bandwidth`, one-way `latencyMs` plus `jitterMs`, and `loss`
 * as retransmission delay (a lost frame arrives one RTO later and holds back the frames behind
 * it). Nothing is ever dropped or reordered unless the link is cut (`disconnectAtByte`,
 * `disconnectAtMs`, `SimulatedNetwork.disconnect`), which closes both ends with E_PEER_LOST.
 * Time comes from `clock` (default: the system's); with a ManualClock a test drives the link in
 * simulated time, independent of how loaded the machine is. Frames that are due are delivered
 * together in one tick, so a fast link is not dominated by timer overhead.
 */
export interface LinkOptions {
  /** bytes per second, each direction; Infinity (default) = no serialisation delay */
  bandwidth?: number
  /** one-way latency */
  latencyMs?: number
  /** extra one-way delay, uniform in [0, jitterMs]; never reorders frames */
  jitterMs?: number
  /** probability (0..1) that a frame needs a retransmission */
  loss?: number
  /** the link is cut when the total bytes sent (both directions) would exceed this */
  disconnectAtByte?: number
  /** the link is cut this long after it was created */
  disconnectAtMs?: number
  /** send() waits while more than this many bytes wait to be serialised; default max(256 KiB, 10 ms of bandwidth) */
  highWaterMark?: number
  /** random source for jitter and loss, for reproducible runs */
  random?: () => number
  /** labels of the two ends: transport[0] is `a`, its remoteLabel is `b` */
  labels?: { a?: string, b?: string }
  /** time source for delays and timers (default: system clock) */
  clock?: Clock
}

/** why: like an SCTP send buffer; enough to keep a fast link busy between two timer ticks, small enough that senders feel a slow link */
export const DEFAULT_HIGH_WATER_MARK = 256 * 1024
/** why: timers fire late by a millisecond or more; the send queue must hold more than that much data or a fast link idles between ticks */
export const TIMER_SLACK_MS = 10
/** why: SCTP's minimum RTO is far larger, but simulations should stay quick; 3× one-way is a conservative retransmission timer */
export const MIN_RTO_MS = 20

interface InFlight {
  due: number
  frame: Uint8Array | 'close' | 'cut'
}

class Direction {
  /** when the serialisation queue is empty */
  wireFreeAt = 0
  /** arrival of the last queued frame: later frames never arrive earlier (ordered channel) */
  lastArrival = 0
  queue: InFlight[] = []
  /** cancels the armed delivery timer */
  timer: (() => void) | undefined
}

let linkCounter = 0
const linkOfEnd = new WeakMap<Transport, Link>()

class Link {
  readonly ends: [SimulatedEnd, SimulatedEnd]
  readonly dirs: [Direction, Direction] = [new Direction(), new Direction()]
  readonly bandwidth: number
  readonly latencyMs: number
  readonly jitterMs: number
  readonly loss: number
  readonly rtoMs: number
  readonly highWaterMark: number
  readonly disconnectAtByte: number
  readonly random: () => number
  readonly clock: Clock
  bytesSent = 0
  /** set once the link is cut; sends after it go nowhere */
  cut = false
  #cutTimer: (() => void) | undefined
  #waiters = new Set<{ cancel: () => void, reject: (err: Error) => void }>()

  constructor (opts: LinkOptions) {
    const n = ++linkCounter
    this.bandwidth = opts.bandwidth ?? Infinity
    this.latencyMs = opts.latencyMs ?? 0
    this.jitterMs = opts.jitterMs ?? 0
    this.loss = opts.loss ?? 0
    this.rtoMs = Math.max(MIN_RTO_MS, 3 * this.latencyMs)
    this.highWaterMark = opts.highWaterMark ?? (Number.isFinite(this.bandwidth) ? Math.max(DEFAULT_HIGH_WATER_MARK, this.bandwidth * TIMER_SLACK_MS / 1000) : DEFAULT_HIGH_WATER_MARK)
    this.disconnectAtByte = opts.disconnectAtByte ?? Infinity
    this.random = opts.random ?? Math.random
    this.clock = opts.clock ?? systemClock
    if (!(this.bandwidth > 0)) throw GasError.badArgument('bandwidth must be > 0 bytes/s')
    if (!(this.latencyMs >= 0) || !(this.jitterMs >= 0)) throw GasError.badArgument('latencyMs and jitterMs must be ≥ 0')
    if (!(this.loss >= 0 && this.loss < 1)) throw GasError.badArgument('loss must be in [0, 1)')
    const a = opts.labels?.a ?? `sim-${n}-a`
    const b = opts.labels?.b ?? `sim-${n}-b`
    this.ends = [new SimulatedEnd(this, 0, b), new SimulatedEnd(this, 1, a)]
    for (const end of this.ends) linkOfEnd.set(end, this)
    if (opts.disconnectAtMs !== undefined) {
      this.#cutTimer = this.clock.after(opts.disconnectAtMs, () => this.fault('disconnect at time'))
    }
  }

  send (from: 0 | 1, frame: Uint8Array): Promise<void> {
    if (this.cut) return Promise.resolve()
    if (this.bytesSent + frame.byteLength > this.disconnectAtByte) {
      // why: the cut happens where this frame would have landed, after everything before it
      this.cut = true
      this.#schedule(from, 'cut', 0)
      return Promise.resolve()
    }
    this.bytesSent += frame.byteLength
    const t = this.clock.now()
    const dir = this.dirs[from]
    const serialiseMs = frame.byteLength * 1000 / this.bandwidth
    dir.wireFreeAt = Math.max(t, dir.wireFreeAt) + serialiseMs
    let delay = dir.wireFreeAt - t
    if (this.jitterMs > 0) delay += this.random() * this.jitterMs
    if (this.loss > 0 && this.random() < this.loss) delay += this.rtoMs
    this.#schedule(from, frame.slice(), delay)
    const queuedMs = dir.wireFreeAt - t
    const waitMs = queuedMs - this.highWaterMark * 1000 / this.bandwidth
    if (!(waitMs > 0)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const waiter = {
        cancel: this.clock.after(waitMs, () => { this.#waiters.delete(waiter); resolve() }),
        reject
      }
      this.#waiters.add(waiter)
    })
  }

  /** graceful close from one end: what it sent still arrives, then the other end closes */
  shutdown (from: 0 | 1): void {
    if (this.cut) return
    this.#schedule(from, 'close', 0)
  }

  /** the link breaks: both ends close now with E_PEER_LOST, frames in flight are lost */
  fault (why: string): void {
    this.cut = true
    this.#stop()
    for (const end of this.ends) end.lost(why)
  }

  #stop (): void {
    this.#cutTimer?.()
    for (const dir of this.dirs) {
      dir.timer?.()
      dir.timer = undefined
      dir.queue = []
    }
    for (const waiter of this.#waiters) {
      waiter.cancel()
      waiter.reject(peerLost('simulated link', 'link cut'))
    }
    this.#waiters.clear()
  }

  #schedule (from: 0 | 1, frame: InFlight['frame'], extraMs: number): void {
    const dir = this.dirs[from]
    const due = Math.max(this.clock.now() + extraMs + this.latencyMs, dir.lastArrival)
    dir.lastArrival = due
    dir.queue.push({ due, frame })
    if (dir.queue.length === 1) this.#arm(from)
  }

  #arm (from: 0 | 1): void {
    const dir = this.dirs[from]
    const head = dir.queue[0]
    if (head === undefined) return
    dir.timer = this.clock.after(Math.max(0, head.due - this.clock.now()), () => this.#drain(from))
  }

  #drain (from: 0 | 1): void {
    const dir = this.dirs[from]
    dir.timer = undefined
    // why: timers fire at ≥1 ms granularity; everything due by now goes in this one tick
    const t = this.clock.now() + 0.5
    const to = this.ends[from === 0 ? 1 : 0]
    let i = 0
    while (i < dir.queue.length && dir.queue[i].due <= t) {
      const { frame } = dir.queue[i++]
      if (frame === 'cut') {
        this.fault('disconnect at byte')
        return
      }
      if (frame === 'close') {
        to.lost('remote closed the connection')
        if (this.ends[from].closed) this.#stop()
        return
      }
      to.receive(frame)
    }
    dir.queue.splice(0, i)
    this.#arm(from)
  }

  closedBy (from: 0 | 1): void {
    // the closing end drops what is still coming to it
    const back = this.dirs[from === 0 ? 1 : 0]
    back.timer?.()
    back.timer = undefined
    back.queue = []
    if (this.ends[from === 0 ? 1 : 0].closed) this.#stop()
  }
}

class SimulatedEnd extends TransportBase {
  readonly #link: Link
  readonly #index: 0 | 1

  constructor (link: Link, index: 0 | 1, remoteLabel: string) {
    super(remoteLabel)
    this.#link = link
    this.#index = index
  }

  async send (frame: Uint8Array): Promise<void> {
    if (this.closed) throw peerLost(this.remoteLabel, 'transport closed')
    checkFrame(frame)
    await this.#link.send(this.#index, frame)
  }

  close (): void {
    if (!this.finish()) return
    this.#link.closedBy(this.#index)
    this.#link.shutdown(this.#index)
  }

  receive (frame: Uint8Array): void {
    this.deliver(frame)
  }

  lost (why: string): void {
    this.finish(peerLost(this.remoteLabel, why))
  }
}

export const SimulatedLink = {
  pair (opts: LinkOptions = {}): [Transport, Transport] {
    return new Link(opts).ends
  }
}

export interface NetworkOptions {
  /** link options for every connect() unless overridden */
  link?: LinkOptions
  /** open connections per node; why: real peers cap their connections, and swarming must cope with a refusal */
  maxConnectionsPerNode?: number
}

/**
 * Named nodes joined by simulated links. Each connect() makes a new link; closing either end
 * frees the slot on both nodes.
 */
export class SimulatedNetwork {
  readonly #opts: NetworkOptions
  readonly #open = new Map<string, Set<Transport>>()
  readonly #limits = new Map<string, number>()

  constructor (opts: NetworkOptions = {}) {
    this.#opts = opts
  }

  /** Sets one node's connection limit (overrides maxConnectionsPerNode). */
  setLimit (node: string, maxConnections: number): void {
    this.#limits.set(node, maxConnections)
  }

  connectionCount (node: string): number {
    return this.#open.get(node)?.size ?? 0
  }

  /** Opens a link a↔b; returns [a's transport to b, b's transport to a]. */
  connect (a: string, b: string, opts: LinkOptions = {}): [Transport, Transport] {
    if (a === b) throw GasError.badArgument('a node cannot connect to itself')
    for (const node of [a, b]) {
      const limit = this.#limits.get(node) ?? this.#opts.maxConnectionsPerNode ?? Infinity
      if (this.connectionCount(node) >= limit) {
        throw new GasError('E_PEER_LOST', `${node} refused the connection: it already has ${limit} connections`, { node, limit })
      }
    }
    const pair = SimulatedLink.pair({ ...this.#opts.link, ...opts, labels: { a, b } })
    this.#track(a, pair[0])
    this.#track(b, pair[1])
    return pair
  }

  /** Cuts every link between a and b (both ends see E_PEER_LOST). */
  disconnect (a: string, b: string): void {
    for (const t of [...(this.#open.get(a) ?? [])]) if (t.remoteLabel === b) cutLink(t)
  }

  /** Cuts every link of a node, as if it crashed. */
  isolate (node: string): void {
    for (const t of [...(this.#open.get(node) ?? [])]) cutLink(t)
  }

  #track (node: string, t: Transport): void {
    let set = this.#open.get(node)
    if (set === undefined) this.#open.set(node, (set = new Set()))
    set.add(t)
    t.onClose(() => set?.delete(t))
  }
}

function cutLink (t: Transport): void {
  const link = linkOfEnd.get(t)
  if (link !== undefined && !link.cut) link.fault('disconnected by the network')
}
