import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { realFs } from '../../src/objects/fs.js'
import { planQueue } from '../../src/schedule/planner.js'
import { parseSchedule } from '../../src/schedule/schedule.js'
import { TransferQueue, type QueueItem } from '../../src/schedule/transfer-queue.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

const item = (id: string, path: string, bytes: number, cls: QueueItem['class'], extra: Partial<QueueItem> = {}): QueueItem =>
  ({ id: id.padEnd(64, '0'), path, bytes, class: cls, peers: ['ana'], addedAt: '2026-12-01T00:00:00Z', ...extra })

describe('transfer queue', () => {
  it('keeps items across reopening, most urgent first, smaller before larger within a class', async () => {
    const dir = tmp()
    const q = await TransferQueue.open(realFs, dir)
    await q.add([item('a1', 'big.pak', 9e9, 'other'), item('b2', 'hero.png', 2e6, 'role'), item('c3', 'small.wav', 1e3, 'other'), item('d4', 'rock.fbx', 5e6, 'role')])
    const again = await TransferQueue.open(realFs, dir)
    expect(again.list().map((i) => i.path)).toEqual(['hero.png', 'rock.fbx', 'small.wav', 'big.pak'])
    // someone is waiting for the pak; the build is needed by a time
    await again.prioritize('big.pak')
    await again.add([item('e5', 'builds/1.3.0/game.exe', 1e9, 'other', { peers: ['bo'] }), item('a1', 'big.pak', 9e9, 'other', { peers: ['cy'] })])
    await again.prioritize('builds', '2026-12-02T09:00:00+01:00')
    const listed = (await TransferQueue.open(realFs, dir)).list()
    expect(listed.map((i) => [i.path, i.class])).toEqual([['big.pak', 'waiting'], ['builds/1.3.0/game.exe', 'deadline'], ['hero.png', 'role'], ['rock.fbx', 'role'], ['small.wav', 'other']])
    expect(listed[0].peers).toEqual(['ana', 'cy'])
    expect(listed[1].deadline).toBe('2026-12-02T08:00:00.000Z')
    await again.remove([listed[0].id, 'nothing'])
    await again.setPaused(true)
    const reopened = await TransferQueue.open(realFs, dir)
    expect(reopened.paused).toBe(true)
    expect(reopened.list()).toHaveLength(4)
    await expect(reopened.prioritize('nope.png')).rejects.toMatchObject({ code: 'E_NOT_FOUND' })
    await expect(reopened.prioritize('hero.png', 'tomorrow')).rejects.toMatchObject({ code: 'E_BAD_SCHEDULE' })
    // another process changed the file: reload sees it
    await (await TransferQueue.open(realFs, dir)).setPaused(false)
    await reopened.reload()
    expect(reopened.paused).toBe(false)
  })

  it('a damaged queue file is a typed error naming the fix', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'queue.json'), '{"version":1,"paused":false,"items":[{"id":3}]}')
    await expect(TransferQueue.open(realFs, dir)).rejects.toMatchObject({ code: 'E_CORRUPT_OBJECT' })
    writeFileSync(join(dir, 'queue.json'), '{not json')
    await expect(TransferQueue.open(realFs, dir)).rejects.toThrow('remove it')
  })

  it('a failed write leaves the previous queue whole', async () => {
    const dir = tmp()
    const q = await TransferQueue.open(realFs, dir)
    await q.add([item('a1', 'a.png', 1, 'other')])
    const before = readFileSync(join(dir, 'queue.json'), 'utf8')
    const failing = { ...realFs, rename: async () => { throw Object.assign(new Error('no space'), { code: 'ENOSPC' }) } } as unknown as typeof realFs
    const broken = await TransferQueue.open(failing, dir)
    await expect(broken.add([item('b2', 'b.png', 1, 'other')])).rejects.toMatchObject({ code: 'E_DISK_FULL' })
    expect(readFileSync(join(dir, 'queue.json'), 'utf8')).toBe(before)
    expect(broken.list()).toHaveLength(1)
  })
})

describe('queue plan', () => {
  const tokyo = parseSchedule(['Mon-Fri 22:00-07:00 Asia/Tokyo'], { limit: 50e3, outsideLimit: 0 })
  const at = Date.parse('2026-12-07T12:00:00+09:00') // Monday noon in Tokyo

  it('a 2 GB asset starts at the window, pauses at its close and finishes the next night; a deadline it misses is said', () => {
    const plan = planQueue({ items: [item('a1', 'big.pak', 2e9, 'deadline', { deadline: '2026-12-08T09:00:00+09:00' }), item('b2', 'next.png', 1e6, 'other')], ours: tokyo, peers: new Map(), at, zone: 'Asia/Tokyo' })
    expect(plan[0]).toMatchObject({ start: '2026-12-07T22:00:00+09:00', peer: 'ana', window: { start: '2026-12-07T22:00:00+09:00', end: '2026-12-08T07:00:00+09:00', rate: 50e3 } })
    // 40 000 s at 50 kB/s: 9 h the first night, the remaining 2 h 6 min 40 s the next
    expect(plan[0].end).toBe('2026-12-09T00:06:40+09:00')
    expect(plan[0].warning).toContain('after its deadline')
    expect(plan[1].start).toBe('2026-12-09T00:06:40+09:00')
    expect(plan[1].end).toBe('2026-12-09T00:07:00+09:00')
  })

  it('plans with the sender\'s window too: a Berlin sender narrows a Tokyo night to the overlap', () => {
    const berlin = parseSchedule(['Mon-Fri 20:00-06:00 Europe/Berlin'], { outsideLimit: 0 })
    const plan = planQueue({ items: [item('a1', 'big.pak', 1e6, 'role', { peers: ['ana'] })], ours: tokyo, peers: new Map([['ana', berlin]]), at, zone: 'Europe/Berlin' })
    expect(plan[0].start).toBe('2026-12-07T20:00:00+01:00')
    expect(plan[0].window?.end).toBe('2026-12-07T23:00:00+01:00')
    const never = planQueue({ items: [item('a1', 'x', 1, 'other')], ours: parseSchedule(['Sat 01:00-02:00 UTC'], { outsideLimit: 0 }), peers: new Map([['ana', parseSchedule(['Sun 01:00-02:00 UTC'], { outsideLimit: 0 })]]), at, zone: 'UTC' })
    expect(never[0]).toMatchObject({ start: null, end: null, window: null })
    const unlimited = planQueue({ items: [item('a1', 'x', 1e12, 'other', { peers: [] })], ours: parseSchedule([]), peers: new Map(), at, zone: 'UTC' })
    expect(unlimited[0]).toMatchObject({ peer: null, start: '2026-12-07T03:00:00Z', end: '2026-12-07T03:00:00Z', window: { rate: null, end: null } })
  })
})
