import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { decodeMessage, encodeMessage } from '../../src/peer/wire/messages.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { readPeerSchedules, setSchedule } from '../../src/schedule/schedule-settings.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

const hello = { type: 'HELLO' as const, version: 2, capabilities: [], peerId: 'a'.repeat(64), name: 'ana', publicKey: 'b'.repeat(64), teamId: null, nonce: 'c'.repeat(64), signature: null, certificate: null }

describe('schedules told in HELLO', () => {
  it('round-trips a schedule and refuses a malformed one', () => {
    const schedule = { windows: ['Mon-Fri 22:00-07:00 Asia/Tokyo'], limit: 5e6, outsideLimit: 0 }
    expect(decodeMessage(encodeMessage({ ...hello, schedule }))).toMatchObject({ schedule })
    expect(decodeMessage(encodeMessage(hello))).not.toHaveProperty('schedule')
    expect(() => encodeMessage({ ...hello, schedule: { windows: Array(17).fill('daily 01:00-02:00 UTC') } })).toThrow('at most 16 windows')
    expect(() => encodeMessage({ ...hello, schedule: { windows: [], limit: -1 } })).toThrow('HELLO schedule')
  })

  it('a sender whose window is closed: the receiver queues the content and plans with the sender\'s window', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    ana.config = { ...ana.config, trackers: [tracker.url] }
    await ana.saveConfig()
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['lead'] })))
    writeFileSync(join(ana.root, 'level.pak'), randomBytes(300_000))
    await gas.add(ana, { paths: [ana.root] })
    await gas.commit(ana, { message: 'level' })
    await ana.store.flush()
    // ana's only window is a minute on the other side of the clock; outside it she sends nothing
    const later = new Date(Date.now() + 12 * 3600_000)
    const hhmm = (d: Date): string => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
    const window = `daily ${hhmm(later)}-${hhmm(new Date(later.getTime() + 60_000))} UTC`
    await setSchedule(ana, { windows: [window], outsideLimit: 0 })
    const stop = new AbortController()
    const serving = gas.servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: stop.signal })
    try {
      const out = JSON.parse((await gasInProcess(bo.root, ['sync', '--once', '--json'])).stdout)
      expect(out.peers).toBe(1)
      expect(out.queued.items).toBe(1)
      const told = (await readPeerSchedules(bo)).get('ana')
      expect(told?.windows.map((w) => w.text)).toEqual([window])
      const plan = JSON.parse((await gasInProcess(bo.root, ['queue', 'plan', '--json'])).stdout)
      expect(plan.items[0]).toMatchObject({ path: 'level.pak', peer: 'ana' })
      expect(Date.parse(plan.items[0].start)).toBeGreaterThan(Date.now() + 11 * 3600_000)
      expect(out.heldForWindow).toEqual([])
      // bo's own version waits too (a version moves with its files), and the sync says so: it said nothing of it
      writeFileSync(join(bo.root, 'notes.txt'), 'bo was here\n')
      await gas.add(bo, { paths: [join(bo.root, 'notes.txt')] })
      await gas.commit(bo, { message: 'notes' })
      await bo.store.flush()
      const again = await gasInProcess(bo.root, ['sync', '--once'])
      expect(again.stdout).toContain("\n  refs/heads/main: yours and ana's differ; versions move with their files, in a transfer window (`gas schedule show`)")
    } finally {
      stop.abort()
      await serving
    }
  })
})
