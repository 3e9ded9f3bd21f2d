import { describe, expect, it } from 'vitest'
import { GasError } from '../../src/errors.js'
import { hashObject, objectTypeCode, type ObjectId } from '../../src/objects/id.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import type { EncodedObject } from '../../src/objects/store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { decodeMessage, encodeMessage, fragmentBlock } from '../../src/peer/wire/messages.js'
import { PeerSession, randomIdentity } from '../../src/peer/session/session.js'
import { SimulatedLink } from '../../src/peer/transport/simulated-link.js'
import { ENDGAME_ITEMS, Swarm, type SwarmProgress } from '../../src/peer/swarm/swarm.js'
import type { Transport } from '../../src/peer/transport/transport.js'
import { KiB, pseudoRandomBytes } from '../net/helpers.js'
import { helloFrame } from './hello-frame.js'

/** A store that logs what it serves and can hang on chosen ids. */
class ServingStore extends MemoryStore {
  readonly served: ObjectId[] = []
  hang = new Set<ObjectId>()
  hangAll = false
  override async getEncoded (id: ObjectId): Promise<EncodedObject | undefined> {
    if (this.hangAll || this.hang.has(id)) return await new Promise(() => {})
    this.served.push(id)
    return await super.getEncoded(id)
  }
}

async function chunks (n: number, size = 8 * KiB, seed = 'c'): Promise<{ store: MemoryStore, ids: ObjectId[] }> {
  const store = new MemoryStore()
  const ids: ObjectId[] = []
  for (let i = 0; i < n; i++) ids.push(await store.put('chunk', pseudoRandomBytes(`${seed}${i}`, size)))
  return { store, ids }
}

async function seed (from: MemoryStore, ids: ObjectId[]): Promise<ServingStore> {
  const store = new ServingStore()
  for (const id of ids) store.objects.set(id, from.objects.get(id)!)
  return store
}

async function connect (local: MemoryStore, remote: MemoryStore, pair: [Transport, Transport] = MemoryTransport.pair()): Promise<PeerSession> {
  const [mine] = await Promise.all([
    PeerSession.open({ transport: pair[0], store: local, identity: randomIdentity('me') }),
    PeerSession.open({ transport: pair[1], store: remote, identity: randomIdentity('seeder') })
  ])
  return mine
}

const wants = (ids: ObjectId[], size = 8 * KiB): Array<{ id: ObjectId, priority: number, size: number }> => ids.map((id) => ({ id, priority: 100, size }))

describe('Swarm', () => {
  it('asks each peer for the rarest of what it has first', async () => {
    const { store: src, ids } = await chunks(12)
    const everything = await seed(src, ids)
    const half = await seed(src, ids.slice(0, 6))
    const dst = new MemoryStore()
    const swarm = new Swarm({ store: dst })
    swarm.addPeer(await connect(dst, everything))
    swarm.addPeer(await connect(dst, half))
    const result = await swarm.fetch(wants(ids), { probe: true })
    expect(result.missing).toEqual([])
    expect(result.objects).toBe(12)
    // the peer with everything starts with what only it has
    expect(everything.served.slice(0, 6).sort()).toEqual(ids.slice(6).sort())
    for (const id of ids) expect(dst.objects.has(id)).toBe(true)
  })

  it('without probing, a DONT_HAVE sends the request to another peer', async () => {
    const { store: src, ids } = await chunks(6)
    const partial = await seed(src, ids.slice(0, 2))
    const full = await seed(src, ids)
    const dst = new MemoryStore()
    const swarm = new Swarm({ store: dst })
    swarm.addPeer(await connect(dst, partial))
    swarm.addPeer(await connect(dst, full))
    const result = await swarm.fetch(wants(ids))
    expect(result.missing).toEqual([])
    expect(result.objects).toBe(6)
  })

  it('reports what nobody has; skips what is already stored; nothing to do without peers', async () => {
    const { store: src, ids } = await chunks(3)
    const dst = new MemoryStore()
    await dst.put('chunk', (await src.get(ids[0])).body)
    const swarm = new Swarm({ store: dst })
    expect(await swarm.fetch(wants(ids))).toEqual({ objects: 0, bytes: 0, missing: [ids[1], ids[2]], denied: [], duplicates: 0 })
    swarm.addPeer(await connect(dst, await seed(src, [ids[1]])))
    swarm.addPeer(await connect(dst, await seed(src, [])))
    const result = await swarm.fetch(wants(ids), { probe: true })
    expect(result.objects).toBe(1)
    expect(result.missing).toEqual([ids[2]])
    expect(await swarm.fetch([])).toMatchObject({ objects: 0, missing: [] })
  })

  it('end game: the last objects stuck at a slow peer are asked of an idle one, the loser gets a CANCEL', async () => {
    const { store: src, ids } = await chunks(10, 16 * KiB)
    const slow = await seed(src, ids)
    const fast = await seed(src, ids)
    const dst = new MemoryStore()
    const swarm = new Swarm({ store: dst, stallTimeoutMs: 60_000 })
    // the slow peer comes first and takes every request into its (initial) window
    swarm.addPeer(await connect(dst, slow, SimulatedLink.pair({ bandwidth: 64 * KiB, latencyMs: 5 })))
    swarm.addPeer(await connect(dst, fast))
    const start = performance.now()
    const result = await swarm.fetch(wants(ids, 16 * KiB))
    expect(result.missing).toEqual([])
    // the slow peer alone would need 2.5 s; the end game starts once ENDGAME_ITEMS are left
    expect(performance.now() - start).toBeLessThan(1500)
    expect(fast.served.length).toBeGreaterThanOrEqual(ENDGAME_ITEMS - 1)
    expect(fast.served.length).toBeLessThanOrEqual(ENDGAME_ITEMS)
  })

  it('a slow peer holding many requests does not hold up the end: a faster idle peer duplicates them', async () => {
    const { store: src, ids } = await chunks(24, 64 * KiB)
    const slow = await seed(src, ids)
    const fast = await seed(src, ids)
    const dst = new MemoryStore()
    const swarm = new Swarm({ store: dst, stallTimeoutMs: 60_000 })
    // first in line, the slow peer takes a whole initial window (16 requests = 16 s at 64 KiB/s)
    swarm.addPeer(await connect(dst, slow, SimulatedLink.pair({ bandwidth: 64 * KiB, latencyMs: 5 })))
    swarm.addPeer(await connect(dst, fast, SimulatedLink.pair({ bandwidth: 20e6, latencyMs: 5 })))
    const start = performance.now()
    const result = await swarm.fetch(wants(ids, 64 * KiB))
    expect(result.missing).toEqual([])
    expect(performance.now() - start).toBeLessThan(3000)
    expect(fast.served.length).toBeGreaterThan(16)
  })

  it('a peer that stalls is dropped with E_TIMEOUT and its requests go to the others', async () => {
    const { store: src, ids } = await chunks(30)
    const stuck = await seed(src, ids)
    stuck.hangAll = true
    const dst = new MemoryStore()
    const swarm = new Swarm({ store: dst, stallTimeoutMs: 200 })
    swarm.addPeer(await connect(dst, stuck))
    const late = connect(dst, await seed(src, ids))
    setTimeout(() => { void late.then((s) => swarm.addPeer(s)) }, 50)
    const result = await swarm.fetch(wants(ids))
    expect(result.missing).toEqual([])
    expect(swarm.dropped).toEqual([expect.objectContaining({ code: 'E_TIMEOUT' })])
  })

  it('a store failure other than corruption fails the fetch; one fetch at a time; progress is reported', async () => {
    const { store: src, ids } = await chunks(3)
    const dst = new MemoryStore()
    const progress: SwarmProgress[] = []
    const swarm = new Swarm({ store: dst, onProgress: (p) => progress.push(p) })
    swarm.addPeer(await connect(dst, await seed(src, ids)))
    const first = swarm.fetch(wants(ids.slice(0, 1)))
    await expect(swarm.fetch(wants(ids))).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await first
    expect(progress.at(-1)).toMatchObject({ objects: 1, totalObjects: 1, peers: 1 })
    dst.putEncoded = async () => { throw new GasError('E_DISK_FULL', 'disk full') }
    await expect(swarm.fetch(wants(ids))).rejects.toMatchObject({ code: 'E_DISK_FULL' })
    expect(swarm.windowOf(swarm.peers[0])).toBeDefined()
  })

  it('ignores blocks it did not ask for', async () => {
    const { store: src, ids } = await chunks(2)
    const [a, raw] = MemoryTransport.pair()
    const dst = new MemoryStore()
    const opening = PeerSession.open({ transport: a, store: dst, identity: randomIdentity('me') })
    await raw.send(helloFrame(randomIdentity('pusher'), 'ab'.repeat(32)))
    const mine = await opening
    const blockFrame = async (id: ObjectId): Promise<Uint8Array> => {
      const object = (await src.getEncoded(id))!
      return encodeMessage(fragmentBlock(id, objectTypeCode(object.type), object.encoding, object.bytes, object.rawLength)[0])
    }
    // a pushy peer: sends ids[1], which nobody asked for, before anything else and before every block it was asked for
    let pushed = 0
    const push = async (): Promise<void> => { pushed++; await raw.send(await blockFrame(ids[1])) }
    raw.onFrame((frame) => {
      const msg = decodeMessage(frame)
      if (msg.type !== 'WANT') return
      void (async () => {
        if (msg.mode === 'have') return await raw.send(encodeMessage({ type: 'HAVE', ids: msg.ids }))
        for (const id of msg.ids) { await push(); await raw.send(await blockFrame(id)) }
      })()
    })
    await push()
    const swarm = new Swarm({ store: dst })
    swarm.addPeer(mine)
    swarm.addPeer(mine)
    const result = await swarm.fetch(wants([ids[0]]))
    expect(pushed).toBeGreaterThanOrEqual(2)
    expect(result.objects).toBe(1)
    expect(dst.objects.has(ids[0])).toBe(true)
    expect(dst.objects.has(ids[1])).toBe(false)
    expect(mine.closed).toBe(false)
  })
})

describe('a swarm whose fetches are over lets go of its sessions (detach)', () => {
  it('stops listening: the session stays open for a second swarm, and a listener taken off hears none of its blocks', async () => {
    const { store: src, ids } = await chunks(12, 8 * KiB, 'detach')
    const remote = await seed(src, ids)
    const dst = new MemoryStore()
    const session = await connect(dst, remote)
    const first = new Swarm({ store: dst })
    first.addPeer(session)
    expect((await first.fetch(wants(ids.slice(0, 6)))).objects).toBe(6)
    first.detach()
    expect(first.peers).toEqual([])
    expect(session.closed).toBe(false)

    const heard: ObjectId[] = []
    const takenOff: ObjectId[] = []
    session.onBlock((block) => heard.push(block.id))
    const off = session.onBlock((block) => takenOff.push(block.id))
    off()
    off() // twice is harmless
    const second = new Swarm({ store: dst })
    second.addPeer(session)
    const got = await second.fetch(wants(ids.slice(6)))
    expect(got.objects).toBe(6)
    expect(got.duplicates).toBe(0)
    expect(heard.sort()).toEqual(ids.slice(6).sort())
    expect(takenOff).toEqual([])
    second.detach()
  })

  it('asked during a fetch, it lets go once the fetch ends', async () => {
    const { store: src, ids } = await chunks(2, 8 * KiB, 'busy')
    const remote = await seed(src, ids)
    remote.hangAll = true
    const dst = new MemoryStore()
    const swarm = new Swarm({ store: dst, stallTimeoutMs: 200 })
    swarm.addPeer(await connect(dst, remote))
    const session = await connect(dst, await seed(src, ids))
    swarm.addPeer(session)
    const fetching = swarm.fetch(wants(ids))
    swarm.detach()
    expect(swarm.peers.length).toBe(2) // still fetching: both peers serve it
    expect((await fetching).missing).toEqual([]) // the live peer brought everything
    expect(swarm.peers).toEqual([])
    expect(session.closed).toBe(false)
  })
})
