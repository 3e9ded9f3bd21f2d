import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { MemoryTransport } from '../../src/peer/transport/memory-transport.js'
import { HeldForDirect } from '../../src/peer/sync/held-for-direct.js'
import { DIRECT_UPGRADE_MIN_WAIT_MS, DIRECT_UPGRADE_WAIT_MS, directUpgradeWaitMs } from '../../src/peer/sync/connect-peers.js'

/** A held WebRTC connection: closed unused when the direct session comes, used when it does not. */
function setup (): { clock: ManualClock, held: HeldForDirect, events: string[] } {
  const clock = new ManualClock()
  return { clock, held: new HeldForDirect({ clock, waitMs: 1_500 }), events: [] }
}

describe('HeldForDirect', () => {
  it('closes the held connection once the direct session is up, without using it', async () => {
    const { held, events } = setup()
    const [ours, theirs] = MemoryTransport.pair()
    const remoteSaw: string[] = []
    theirs.onClose((err) => remoteSaw.push(err === undefined ? 'closed by itself' : 'closed by us'))
    held.hold('peer-a', ours, () => events.push('used'), () => events.push('settled'))
    expect(held.size).toBe(1)
    held.spare('peer-a')
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(ours.closed).toBe(true)
    expect(remoteSaw).toEqual(['closed by us'])
    expect(events).toEqual(['settled'])
    expect(held.size).toBe(0)
  })

  it('uses the held connection when the direct attempt fails, and after the wait when it hangs', () => {
    const { clock, held, events } = setup()
    const [a] = MemoryTransport.pair()
    const [b] = MemoryTransport.pair()
    held.hold('peer-a', a, () => events.push('used a'), () => events.push('settled a'))
    held.hold('peer-b', b, () => events.push('used b'), () => events.push('settled b'))
    held.release('peer-a')
    // used before it stops counting: a wait for peers never sees neither
    expect(events).toEqual(['used a', 'settled a'])
    clock.advance(1_499)
    expect(events).toHaveLength(2)
    clock.advance(1)
    expect(events).toEqual(['used a', 'settled a', 'used b', 'settled b'])
    expect(a.closed || b.closed).toBe(false)
    // settled once: a later spare or close changes nothing
    held.release('peer-b')
    held.spare('peer-b')
    expect(b.closed).toBe(false)
    expect(events).toHaveLength(4)
  })

  it('a held connection the other side closes stops counting; closeAll closes what is left', async () => {
    const { clock, held, events } = setup()
    const [ours, theirs] = MemoryTransport.pair()
    const [other] = MemoryTransport.pair()
    held.hold('peer-a', ours, () => events.push('used a'), () => events.push('settled a'))
    held.hold('peer-b', other, () => events.push('used b'), () => events.push('settled b'))
    theirs.close()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(events).toEqual(['settled a'])
    held.closeAll()
    expect(other.closed).toBe(true)
    expect(events).toEqual(['settled a', 'settled b'])
    clock.advance(2_000)
    expect(events).toHaveLength(2)
    expect(clock.pending).toBe(0)
  })

  it('a second connection from the same process replaces the first one held', () => {
    const { held, events } = setup()
    const [first] = MemoryTransport.pair()
    const [second] = MemoryTransport.pair()
    held.hold('peer-a', first, () => events.push('used first'), () => events.push('settled first'))
    held.hold('peer-a', second, () => events.push('used second'), () => events.push('settled second'))
    expect(first.closed).toBe(true)
    expect(held.size).toBe(1)
    held.release('peer-a')
    expect(events).toEqual(['settled first', 'used second', 'settled second'])
  })

  it('a connection held with its own wait is used after that wait, not the holder\'s', () => {
    const { clock, held, events } = setup()
    const [a] = MemoryTransport.pair()
    held.hold('peer-a', a, () => events.push('used a'), () => events.push('settled a'), 300)
    clock.advance(299)
    expect(events).toEqual([])
    clock.advance(1)
    expect(events).toEqual(['used a', 'settled a'])
  })

  it('the wait for the direct path follows how long WebRTC took, within its bounds', () => {
    expect(directUpgradeWaitMs(40)).toBe(DIRECT_UPGRADE_MIN_WAIT_MS)
    expect(directUpgradeWaitMs(900)).toBe(900)
    expect(directUpgradeWaitMs(9_000)).toBe(DIRECT_UPGRADE_WAIT_MS)
  })
})
