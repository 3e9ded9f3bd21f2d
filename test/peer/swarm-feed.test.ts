import { describe, expect, it } from 'vitest'
import type { ObjectId } from '../../src/objects/id.js'
import { MemoryStore } from '../../src/objects/memory-store.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { PeerSession, randomIdentity } from '../../src/peer/session/session.js'
import { Swarm, type WantRequest } from '../../src/peer/swarm/swarm.js'
import { FEED_LOW_WATER } from '../../src/peer/swarm/swarm-options.js'
import { KiB, pseudoRandomBytes } from '../net/helpers.js'

async function seeder (n: number, size: number): Promise<{ store: MemoryStore, ids: ObjectId[] }> {
  const store = new MemoryStore()
  const ids: ObjectId[] = []
  for (let i = 0; i < n; i++) ids.push(await store.put('chunk', pseudoRandomBytes(`feed${i}`, size)))
  return { store, ids }
}

async function swarmWith (remote: MemoryStore): Promise<{ swarm: Swarm, dst: MemoryStore, session: PeerSession }> {
  const dst = new MemoryStore()
  const [a, b] = MemoryTransport.pair()
  const [mine] = await Promise.all([
    PeerSession.open({ transport: a, store: dst, identity: randomIdentity('me') }),
    PeerSession.open({ transport: b, store: remote, identity: randomIdentity('seeder') })
  ])
  const swarm = new Swarm({ store: dst })
  swarm.addPeer(mine)
  return { swarm, dst, session: mine }
}

/** `ids` as wants: a first few, then `more` hands out `slice` at a time, recording when it was asked. */
function fed (ids: ObjectId[], first: number, slice: number): { first: WantRequest[], more: () => WantRequest[], asked: number[] } {
  const want = (id: ObjectId): WantRequest => ({ id, priority: 50, size: 1 * KiB })
  let next = first
  const asked: number[] = []
  return {
    first: ids.slice(0, first).map(want),
    asked,
    more: () => {
      asked.push(next)
      const part = ids.slice(next, next + slice)
      next += part.length
      return part.map(want)
    }
  }
}

describe('a fetch fed as it goes (FetchOptions.more)', () => {
  it('fetches every want fed to it, asks for more only once it runs low, and counts them all', async () => {
    const count = FEED_LOW_WATER + 700
    const { store, ids } = await seeder(count, 1 * KiB)
    const { swarm, dst } = await swarmWith(store)
    const feed = fed(ids, 64, 1000)
    const result = await swarm.fetch(feed.first, { knownMissing: true, more: feed.more })
    expect(result.missing).toEqual([])
    expect(result.objects).toBe(count)
    expect(result.duplicates).toBe(0)
    for (const id of ids) expect(dst.objects.has(id)).toBe(true)
    // fed 64 + 1000 + 1000 + 1000 (the low water reached each time), then one empty answer
    expect(feed.asked).toEqual([64, 1064, 2064, 2748])
  })

  it('the first wants are requested before the next are asked for', async () => {
    const { store, ids } = await seeder(40, 1 * KiB)
    const { swarm, session } = await swarmWith(store)
    const feed = fed(ids, 4, 36)
    let inFlightWhenAsked = -1
    const more = (): WantRequest[] => {
      if (inFlightWhenAsked < 0) inFlightWhenAsked = swarm.windowOf(session)!.inFlightCount
      return feed.more()
    }
    const result = await swarm.fetch(feed.first, { knownMissing: true, more })
    expect(result.objects).toBe(40)
    expect(feed.asked[0]).toBe(4)
    expect(inFlightWhenAsked).toBe(4)
  })

  it('what nobody has, fed early or late, is reported missing; the rest arrives', async () => {
    const { store, ids } = await seeder(30, 1 * KiB)
    const absent = ['a', 'b', 'c'].map((c) => c.repeat(64))
    // two absent ones in the first wants, one in the last slice
    const order = [absent[0], ...ids.slice(0, 10), absent[1], ...ids.slice(10), absent[2]]
    const { swarm, dst } = await swarmWith(store)
    const feed = fed(order, 12, 5)
    const result = await swarm.fetch(feed.first, { knownMissing: true, more: feed.more })
    expect(result.missing.sort()).toEqual([...absent].sort())
    expect(result.objects).toBe(30)
    for (const id of ids) expect(dst.objects.has(id)).toBe(true)
  })

  it('an empty first batch still takes what `more` gives', async () => {
    const { store, ids } = await seeder(5, 1 * KiB)
    const { swarm } = await swarmWith(store)
    const feed = fed(ids, 0, 3)
    const result = await swarm.fetch([], { knownMissing: true, more: feed.more })
    expect(result.objects).toBe(5)
    expect(result.missing).toEqual([])
  })
})
