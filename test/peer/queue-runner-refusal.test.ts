import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { ManualClock } from '../../src/clock.js'
import type { ObjectId } from '../../src/objects/id.js'
import { runQueue } from '../../src/peer/sync/queue-runner.js'
import { TransferLimits } from '../../src/peer/transport/transfer-limits.js'
import { openQueue } from '../../src/schedule/workspace-queue.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('the queue runner and refused content', () => {
  it('drops queued items the peers refuse (read rights) instead of asking for them at every poll', async () => {
    const clock = new ManualClock(Date.parse('2026-12-07T12:00:00Z'))
    const me = await gas.init({ dir: tmp(), name: 'bo', clock })
    const denied = 'a'.repeat(64)
    const later = 'b'.repeat(64)
    const queue = await openQueue(me)
    const addedAt = new Date(clock.now()).toISOString()
    await queue.add([
      { id: denied, path: 'art/raw/hero.psd', bytes: 1000, class: 'other', peers: ['ana'], addedAt },
      { id: later, path: 'src/big.bin', bytes: 1000, class: 'other', peers: ['ana'], addedAt }
    ])
    const limits = await TransferLimits.start(me, { clock })
    const asked: ObjectId[][] = []
    const events: Array<{ state: string, items: number, error?: string }> = []
    const done = new Promise<void>((resolve) => {
      const runner = runQueue({
        ws: me,
        limits,
        clock,
        pollMs: 60_000,
        // the peers refuse one root and do not have the other yet
        fetch: async ({ roots }) => { asked.push(roots); return { accessDenied: [{ path: denied }] } },
        onEvent: (e) => { events.push(e); if (e.state === 'done') void runner.stop().then(resolve) }
      })
    })
    await done
    limits.close()
    expect(asked).toEqual([[denied, later]])
    expect(events.at(-1)).toEqual({ state: 'done', items: 0, error: 'E_ACCESS_DENIED: 1 queued item(s) refused by the peers (your roles may not read them); dropped from the queue' })
    expect((await openQueue(me)).list().map((i) => i.id)).toEqual([later])
  })
})

describe('the queue runner with no peer online', () => {
  it('waits twice as long after each run that reached nobody, up to 5 min', async () => {
    const clock = new ManualClock(Date.parse('2026-12-07T12:00:00Z'))
    const me = await gas.init({ dir: tmp(), name: 'bo', clock })
    await (await openQueue(me)).add([{ id: 'c'.repeat(64), path: 'art/hero.psd', bytes: 1000, class: 'other', peers: ['ana'], addedAt: new Date(clock.now()).toISOString() }])
    const limits = await TransferLimits.start(me, { clock, poll: false })
    const runs: number[] = []
    let settled: () => void = () => {}
    const runner = runQueue({
      ws: me,
      limits,
      clock,
      pollMs: 5_000,
      fetch: async () => { runs.push(clock.now()); throw new gas.GasError('E_NO_PEERS', 'no peer to sync with') },
      onEvent: (e) => { if (e.state === 'stopped') settled() }
    })
    const nextRun = async (): Promise<void> => {
      const ran = new Promise<void>((resolve) => { settled = resolve })
      // the run's own file reads finish on the event loop; the clock's timer is set once they have
      while (clock.pending === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      clock.step()
      await ran
    }
    await new Promise<void>((resolve) => { settled = resolve })
    for (let i = 0; i < 8; i++) await nextRun()
    const gaps = runs.slice(1).map((t, i) => (t - runs[i]) / 1000)
    expect(gaps).toEqual([10, 20, 40, 80, 160, 300, 300, 300])
    await runner.stop()
    limits.close()
  })
})
