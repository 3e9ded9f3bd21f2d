import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { ManualClock } from '../../src/clock.js'
import { decodeAsset } from '../../src/objects/asset.js'
import { decodeFileManifest } from '../../src/objects/file-manifest.js'
import type { ObjectId } from '../../src/objects/id.js'
import { runQueue } from '../../src/peer/sync/queue-runner.js'
import { TransferLimits } from '../../src/peer/transport/transfer-limits.js'
import { setSchedule } from '../../src/schedule/schedule-settings.js'
import { openQueue } from '../../src/schedule/workspace-queue.js'
import { writeRandomFile } from '../fixtures/project.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const tick = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))

describe('a simulated week of scheduled transfers', () => {
  it('a Tokyo member\'s big asset starts at the window\'s opening, runs at its limit, pauses at its close and finishes the next night; a request outside the window moves at once within the small budget', async () => {
    const seed = await gas.init({ dir: tmp(), name: 'ana', previewer: async () => [] })
    await writeRandomFile(join(seed.root, 'big.pak'), 16_000_000, 'week')
    await writeRandomFile(join(seed.root, 'small.png'), 200_000, 'week-small')
    const added = new Map((await gas.add(seed, { paths: [seed.root] })).map((a) => [a.path, a.asset]))
    const bigId = added.get('big.pak') ?? ''
    const smallId = added.get('small.png') ?? ''

    // Monday 7 December 2026, 12:00 in Tokyo; window Mon-Fri 22:00-07:00 at 400 B/s: 12.96 MB a night
    const clock = new ManualClock(Date.parse('2026-12-07T12:00:00+09:00'))
    const me = await gas.init({ dir: tmp(), name: 'bo', clock })
    await setSchedule(me, { windows: ['Mon-Fri 22:00-07:00 Asia/Tokyo 400B/s'], outsideLimit: 0 })
    const queue = await openQueue(me)
    await queue.add([{ id: bigId, path: 'big.pak', bytes: 16_000_000, class: 'other', peers: ['ana'], addedAt: new Date(clock.now()).toISOString() }])

    const limits = await TransferLimits.start(me, { clock })
    const arrivals: number[] = []
    /** the link: metadata at once, each chunk through the limits' content bucket, stopping when the window closes */
    const fetch = async (opts: { roots: ObjectId[], signal: AbortSignal }): Promise<void> => {
      for (const root of opts.roots) {
        const asset = decodeAsset((await seed.store.get(root)).body)
        await me.store.put('asset', (await seed.store.get(root)).body)
        const manifestBody = (await seed.store.get(asset.file)).body
        await me.store.put('file', manifestBody)
        for (const chunk of decodeFileManifest(manifestBody).chunks) {
          if (await me.store.has(chunk.id)) continue
          if (opts.signal.aborted) return
          await limits.downContent.take(chunk.length)
          await me.store.put('chunk', (await seed.store.get(chunk.id)).body)
          arrivals.push(clock.now())
        }
      }
    }
    const runner = runQueue({ ws: me, limits, fetch, clock, pollMs: 60_000 })
    const until = async (ms: number): Promise<void> => {
      while (clock.now() < ms) {
        await tick()
        await limits.refresh()
        clock.advance(Math.min(60_000, ms - clock.now()))
        // the fetch writes each chunk to disk: let that finish before simulated time moves on
        await new Promise((resolve) => setTimeout(resolve, 1))
        await tick()
      }
    }
    try {
      // nothing moves before the window
      await until(Date.parse('2026-12-07T21:59:00+09:00'))
      expect(arrivals).toEqual([])
      // the window closes at 07:00: the object in flight then finishes, nothing more is asked
      await until(Date.parse('2026-12-08T07:02:00+09:00'))
      const firstNight = arrivals.length
      expect(firstNight).toBeGreaterThan(0)
      expect(arrivals[0]).toBeGreaterThanOrEqual(Date.parse('2026-12-07T22:00:00+09:00'))
      expect(arrivals.filter((t) => t > Date.parse('2026-12-08T07:00:00+09:00')).length).toBeLessThanOrEqual(1)
      const chunks = decodeFileManifest((await me.store.get(decodeAsset((await me.store.get(bigId)).body).file)).body).chunks
      const bytesFirstNight = chunks.slice(0, firstNight).reduce((sum, c) => sum + c.length, 0)
      // throttled to the window's limit: 9 h at 400 B/s, within a chunk
      expect(bytesFirstNight).toBeLessThanOrEqual(9 * 3600 * 400 + 70_000)
      expect(bytesFirstNight).toBeGreaterThan(9 * 3600 * 400 * 0.95)
      // the day: paused
      await until(Date.parse('2026-12-08T21:59:00+09:00'))
      expect(arrivals.length).toBe(firstNight)
      expect((await openQueue(me)).list()).toHaveLength(1)
      // the next night it finishes and leaves the queue, whole and verified
      await until(Date.parse('2026-12-09T07:00:00+09:00'))
      expect(arrivals.length).toBeGreaterThan(firstNight)
      for (let i = 0; i < 50 && (await openQueue(me)).list().length > 0; i++) { await tick(); clock.advance(60_000) }
      expect((await openQueue(me)).list()).toEqual([])
      for (const chunk of chunks) expect((await me.store.get(chunk.id)).body.length).toBe(chunk.length)
      expect(Math.max(...arrivals)).toBeLessThan(Date.parse('2026-12-09T07:00:00+09:00'))
    } finally {
      await runner.stop()
      limits.close()
    }

    // a person asks for the small asset at noon, outside every window: it moves within the 256 KiB/s budget
    const interactive = await TransferLimits.start(me, { clock, interactive: true, poll: false })
    expect(interactive.contentRate).toBe(256 * 1024)
    const started = clock.now()
    const manifest = decodeFileManifest((await seed.store.get(decodeAsset((await seed.store.get(smallId)).body).file)).body)
    for (const chunk of manifest.chunks) {
      const taking = interactive.downContent.take(chunk.length)
      while (!(await Promise.race([taking.then(() => true), tick().then(() => false)]))) clock.advance(10)
    }
    expect(clock.now() - started).toBeLessThan(1000)
    interactive.close()
  })
})
