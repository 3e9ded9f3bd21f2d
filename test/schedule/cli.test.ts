import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { openQueue } from '../../src/schedule/workspace-queue.js'
import { recordPeerSchedule } from '../../src/schedule/schedule-settings.js'
import { parseSchedule } from '../../src/schedule/schedule.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('gas schedule and gas queue', () => {
  it('sets windows, shows whether they are open at a time, and refuses a bad window naming the part', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    const set = await gasInProcess(ws.root, ['schedule', 'set', 'Mon-Fri 22:00-07:00 Asia/Tokyo 20MB/s', 'Sat-Sun 00:00-24:00 Asia/Tokyo', '--limit', '50MB/s', '--outside-limit', '0', '--busy-cpu', '70'])
    expect(set.status).toBe(0)
    expect(set.stdout).toContain('window Mon-Fri 22:00-07:00 Asia/Tokyo 20MB/s')
    expect(set.stdout).toContain('outside windows: wait')
    const open = JSON.parse((await gasInProcess(ws.root, ['schedule', 'show', '--at', '2026-12-07T23:00:00+09:00', '--json'])).stdout)
    expect(open).toMatchObject({ busyCpu: 0.7, limit: 50e6, outsideLimit: 0, now: { open: true, rate: 20e6, nextChange: '2026-12-07T22:00:00.000Z' } })
    const closed = JSON.parse((await gasInProcess(ws.root, ['schedule', 'show', '--at', '2026-12-07T12:00:00+09:00', '--json'])).stdout)
    expect(closed.now).toMatchObject({ open: false, rate: null === closed.now.rate ? null : 0 })
    expect((await gasInProcess(ws.root, ['schedule', 'show'])).stdout).toContain('now: ')
    // the next change in the member's zone, as lock times are shown (the JSON keeps ISO UTC)
    ws.config = { ...ws.config, timeZone: 'Asia/Tokyo' }
    await ws.saveConfig()
    expect((await gasInProcess(ws.root, ['schedule', 'show', '--at', '2026-12-07T23:00:00+09:00'])).stdout).toContain('now: open at 20.0 MB/s, changes at 2026-12-08 07:00 Asia/Tokyo')
    const bad = await gasInProcess(ws.root, ['schedule', 'set', 'Mon-Fri 22:00-07:00 Asia/Tokio'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toContain('gas: E_BAD_SCHEDULE: window "Mon-Fri 22:00-07:00 Asia/Tokio": the time zone "Asia/Tokio"')
    expect((await gasInProcess(ws.root, ['schedule', 'show', '--at', 'soon'])).status).toBe(2)
    expect((await gasInProcess(ws.root, ['schedule', 'set', '--busy-cpu', '0'])).stderr).toContain('--busy-cpu')
    // the earlier schedule is still in force after the refused ones
    expect(JSON.parse((await gasInProcess(ws.root, ['schedule', 'show', '--json'])).stdout).windows).toHaveLength(2)
    expect((await gasInProcess(ws.root, ['schedule', 'set', '--json'])).stdout).toContain('"windows": []')
    expect((await gasInProcess(ws.root, ['schedule', 'show'])).stdout).toContain('no windows: transfers run at any hour')
    // no window and nothing outside one: a pause, not "any hour" (it said both "any hour" and "now: closed")
    const paused = (await gasInProcess(ws.root, ['schedule', 'set', '--outside-limit', '0'])).stdout
    expect(paused).toContain('no windows, and --outside-limit 0: files wait (versions, metadata and previews still move at 262.1 kB/s) until a window or a rate is set\nnow: closed')
    expect(paused).not.toContain('any hour')
    expect((await gasInProcess(ws.root, ['schedule', 'set', '--outside-limit', '2MB/s'])).stdout).toContain('no windows: transfers run at any hour, at 2.00 MB/s\nnow: open at 2.00 MB/s')
  })

  it('lists, plans with the peer\'s window, prioritizes, pauses and resumes the queue', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    ws.config = { ...ws.config, timeZone: 'Asia/Tokyo' }
    await ws.saveConfig()
    await gasInProcess(ws.root, ['schedule', 'set', 'Mon-Fri 22:00-07:00 Asia/Tokyo', '--limit', '10MB/s', '--outside-limit', '0'])
    await recordPeerSchedule(ws, 'bo', parseSchedule(['Mon-Fri 20:00-06:00 Europe/Berlin'], { outsideLimit: 0 }))
    const q = await openQueue(ws)
    await q.add([
      { id: 'a'.repeat(64), path: 'levels/big.pak', bytes: 2e9, class: 'other', peers: ['bo'], addedAt: '2026-12-07T00:00:00Z' },
      { id: 'b'.repeat(64), path: 'art/hero.png', bytes: 3e6, class: 'role', peers: ['bo'], addedAt: '2026-12-07T00:00:00Z' }
    ])
    const listed = JSON.parse((await gasInProcess(ws.root, ['queue', 'list', '--json'])).stdout)
    expect(listed.items.map((i: { path: string }) => i.path)).toEqual(['art/hero.png', 'levels/big.pak'])
    expect((await gasInProcess(ws.root, ['queue', 'list'])).stdout).toMatch(/role +3.00 MB {2}art\/hero.png/)
    const plan = JSON.parse((await gasInProcess(ws.root, ['queue', 'plan', '--at', '2026-12-07T12:00:00+09:00', '--json'])).stdout)
    // Tokyo 22:00-07:00 and Berlin 20:00-06:00 CET meet 04:00-07:00 JST
    expect(plan.items[0]).toMatchObject({ path: 'art/hero.png', peer: 'bo', start: '2026-12-08T04:00:00+09:00', window: { start: '2026-12-08T04:00:00+09:00', end: '2026-12-08T07:00:00+09:00', rate: 10e6 } })
    const pri = await gasInProcess(ws.root, ['queue', 'prioritize', 'levels', '--by', '2026-12-08T04:02:00+09:00'])
    expect(pri.stdout).toContain('levels/big.pak: deadline by 2026-12-07T19:02:00.000Z')
    const text = (await gasInProcess(ws.root, ['queue', 'plan', '--at', '2026-12-07T12:00:00+09:00'])).stdout
    expect(text).toContain('warning: will arrive')
    expect((await gasInProcess(ws.root, ['queue', 'pause'])).stdout).toContain('queue paused')
    expect(JSON.parse((await gasInProcess(ws.root, ['queue', 'list', '--json'])).stdout).paused).toBe(true)
    expect((await gasInProcess(ws.root, ['queue', 'list'])).stdout).toContain('queue paused')
    expect((await gasInProcess(ws.root, ['queue', 'resume', '--json'])).stdout).toContain('"paused": false')
    expect((await gasInProcess(ws.root, ['queue', 'prioritize', 'nothing/here'])).stderr).toContain('E_NOT_FOUND')
    await q.remove(['a'.repeat(64), 'b'.repeat(64)])
    expect((await gasInProcess(ws.root, ['queue', 'plan'])).stdout).toContain('nothing queued')
    expect((await gasInProcess(ws.root, ['queue', 'list'])).stdout).toContain('nothing queued')
  })
})
