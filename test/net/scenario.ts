import type { ObjectId } from '../../src/objects/id.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import type { EncodedObject } from '../../src/objects/store.js'
import type { Clock } from '../../src/peer/session/ledger.js'
import { ManualClock } from '../../src/clock.js'
import type { PeerSession } from '../../src/peer/session/session.js'
import { syncRepo, type SyncOptions, type SyncResult } from '../../src/peer/sync/sync-engine.js'
import { serveRepo } from '../../src/peer/sync/serve-repo.js'
import type { Transport } from '../../src/peer/transport/transport.js'
import type { RefStore } from '../../src/refs/ref-store.js'
import { tempRefs, type TempRepo } from './helpers.js'

/** A MemoryStore that remembers when each object arrived (ms, by `clock`; default performance.now). */
export class TimedStore extends MemoryStore {
  readonly arrivals = new Map<ObjectId, number>()
  constructor (readonly clock: Pick<Clock, 'now'> = performance) {
    super()
  }

  override async putEncoded (id: ObjectId, object: EncodedObject): Promise<void> {
    await super.putEncoded(id, object)
    this.arrivals.set(id, this.clock.now())
  }
}

/** A peer that serves chunks with one byte flipped: what a failing disk or a hostile peer does. */
export class CorruptingStore extends MemoryStore {
  served = 0
  override async getEncoded (id: ObjectId): Promise<EncodedObject | undefined> {
    const object = await super.getEncoded(id)
    if (object === undefined || object.type !== 'chunk') return object
    this.served++
    const bytes = Uint8Array.from(object.bytes)
    bytes[bytes.length >> 1] ^= 0xff
    return { ...object, bytes }
  }
}

export interface Seeder { name: string, store: MemoryStore, refs: RefStore, session?: Promise<PeerSession> }

/** Serves `seeder` on one end of a link; returns the other end for the receiver. */
export function serveOn (seeder: Seeder, pair: [Transport, Transport], clock?: Clock): Transport {
  const [mine, theirs] = pair
  seeder.session = serveRepo({ store: seeder.store, refs: seeder.refs, transport: theirs, peerName: seeder.name, clock })
  seeder.session.catch(() => {})
  return mine
}

/** Sent payload of a seeder (its session's ledger). */
export async function sentBy (seeder: Seeder): Promise<number> {
  const session = await seeder.session!.catch(() => undefined)
  return session?.ledger.bytesSent ?? 0
}

export class Repos {
  readonly temps: TempRepo[] = []
  async refs (label: string): Promise<RefStore> {
    const t = await tempRefs(label)
    this.temps.push(t)
    return t.refs
  }

  async cleanup (): Promise<void> {
    for (const t of this.temps.splice(0)) await t.cleanup()
  }
}

/**
 * Runs a sync and times it. With a ManualClock in `opts.clock` the sync runs in simulated time:
 * the clock is driven until the sync ends, so timings do not depend on the machine's load.
 */
export async function timedSync (opts: SyncOptions): Promise<{ result: SyncResult, ms: number, start: number }> {
  const clock = opts.clock ?? performance
  const start = clock.now()
  const syncing = syncRepo({ lingerIdleMs: 0, ...opts })
  if (clock instanceof ManualClock) {
    let settled = false
    syncing.then(() => { settled = true }, () => { settled = true })
    await clock.runUntil(() => settled, { stepMs: 1, limitMs: 600_000 })
  }
  const result = await syncing
  return { result, ms: clock.now() - start, start }
}
