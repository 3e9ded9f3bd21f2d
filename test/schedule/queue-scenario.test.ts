import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { setSchedule } from '../../src/schedule/schedule-settings.js'
import { openQueue } from '../../src/schedule/workspace-queue.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

/** A window that is closed now and stays closed for a while: today, 12 hours from now, for a minute (UTC). */
function closedWindow (): string {
  const later = new Date(Date.now() + 12 * 3600_000)
  const hhmm = (d: Date): string => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
  return `daily ${hhmm(later)}-${hhmm(new Date(later.getTime() + 60_000))} UTC`
}

describe('transfer queue over real WebRTC', () => {
  it('a sync outside every window queues the content and moves no ref; gas serve fetches the queue once a window opens', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    ana.config = { ...ana.config, trackers: [tracker.url] }
    await ana.saveConfig()
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['lead'] })))
    writeFileSync(join(ana.root, 'level.pak'), randomBytes(700_000))
    writeFileSync(join(ana.root, 'notes.txt'), 'read me')
    await gas.add(ana, { paths: [ana.root] })
    const v1 = await gas.commit(ana, { message: 'level' })
    await ana.store.flush()
    const anaStop = new AbortController()
    const anaServing = gas.servePeers({ ws: ana, trackers: [], security: gas.peerSecurity(ana), signal: anaStop.signal })
    try {
      await setSchedule(bo, { windows: [closedWindow()], outsideLimit: 0 })
      const first = await gasInProcess(bo.root, ['sync', '--once', '--json'])
      const out = JSON.parse(first.stdout)
      expect(out.queued.items).toBe(2)
      expect(out.queued.bytes).toBeGreaterThan(700_000)
      expect(await bo.head()).toBeUndefined()
      expect(existsSync(join(bo.root, 'level.pak'))).toBe(false)
      const q = await openQueue(bo)
      expect(q.list().map((i) => i.path)).toEqual(['notes.txt', 'level.pak'])
      expect(q.list()[0].peers).toEqual(['ana'])
      // history and previews came: the version is here
      expect(await bo.store.has(v1)).toBe(true)

      // the window opens (the schedule changes in a running serve): bo's serve fetches the queue
      const boStop = new AbortController()
      const events: string[] = []
      const boServing = gas.servePeers({ ws: bo, trackers: [], security: gas.peerSecurity(bo), signal: boStop.signal, onPeer: (e) => { if (e.peer === 'queue') events.push(e.state) } })
      try {
        await new Promise((resolve) => setTimeout(resolve, 500))
        expect((await openQueue(bo)).list()).toHaveLength(2)
        await setSchedule(bo, { windows: [] })
        for (let i = 0; i < 100 && (await openQueue(bo)).list().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 200))
        expect((await openQueue(bo)).list()).toEqual([])
        expect(events).toContain('connected')
      } finally {
        boStop.abort()
        await boServing
      }
      const second = JSON.parse((await gasInProcess(bo.root, ['sync', '--once', '--json'])).stdout)
      expect(second.peers).toBe(1)
      expect(second.queued.items).toBe(0)
      expect(second.fetched.objects).toBe(0)
      expect(readFileSync(join(bo.root, 'level.pak')).equals(readFileSync(join(ana.root, 'level.pak')))).toBe(true)
    } finally {
      anaStop.abort()
      await anaServing
    }
  })
})
