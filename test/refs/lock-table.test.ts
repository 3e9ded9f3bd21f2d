import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/clock.js'
import { hashObject } from '../../src/objects/id.js'
import { decodeLockRecord, encodeLockRecord, type LockRecord } from '../../src/objects/lock-record.js'
import { escapeLockPath, lockRefName, parseLockRef, unescapeLockPath } from '../../src/refs/lock-ref.js'
import { computeLockTable, type StoredLockRecord } from '../../src/refs/lock-table.js'
import { parseTtl, DEFAULT_LOCK_TTL_MS } from '../../src/repo/lock-ttl.js'

const HOUR = 3600_000
const ana = { name: 'ana', publicKey: 'a'.repeat(64) }
const bo = { name: 'bo', publicKey: 'b'.repeat(64) }
const cy = { name: 'cy', publicKey: 'c'.repeat(64) }

function stored (record: LockRecord): StoredLockRecord {
  return { id: hashObject('lock', encodeLockRecord(record)), record }
}
function lease (member: typeof ana, path: string, at: number, ttl = 8 * HOUR, signature = member.publicKey.repeat(2)): StoredLockRecord {
  return stored({ kind: 'lease', path, member, certificate: null, at, timeZone: 'UTC', signature, expires: at + ttl, reason: `${member.name}'s` })
}
function end (kind: 'release' | 'break', member: typeof ana, of: StoredLockRecord, at: number): StoredLockRecord {
  return stored({ kind, path: of.record.path, member, certificate: null, at, timeZone: 'UTC', signature: member.publicKey.repeat(2), lease: of.id, holder: of.record.member.name })
}
function permutations<T> (items: T[]): T[][] {
  if (items.length <= 1) return [items]
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]))
}

describe('the lock table (a pure replay of signed records)', () => {
  it('gives the path to the earlier of two leases taken apart, whatever order the records arrive in', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 9))
    const boLease = lease(bo, 'art/hero.psd', clock.now())
    clock.advance(60_000)
    const cyLease = lease(cy, 'art/hero.psd', clock.now())
    const anaOther = lease(ana, 'ui/menu.png', clock.now())
    const tables = permutations([cyLease, anaOther, boLease]).map((order) => computeLockTable(order, clock.now()))
    for (const table of tables) {
      expect(table.active.map((l) => [l.path, l.holder.name])).toEqual([['art/hero.psd', 'bo'], ['ui/menu.png', 'ana']])
      const lost = table.leases.get(cyLease.id)?.outcome
      expect(lost?.state).toBe('lost')
      if (lost?.state === 'lost') expect(lost.to.holder.name).toBe('bo')
    }
  })

  it('breaks a tie of the same millisecond on the signature bytes, the same way on every peer', () => {
    const at = Date.UTC(2026, 10, 30, 9)
    const low = lease(bo, 'a.psd', at, HOUR, '0'.repeat(128))
    const high = lease(cy, 'a.psd', at, HOUR, 'f'.repeat(128))
    expect(computeLockTable([high, low], at).active[0].holder.name).toBe('bo')
    expect(computeLockTable([low, high], at).active[0].holder.name).toBe('bo')
  })

  it('expires a lease by itself as the clock moves, and lets a later lease take the path', () => {
    const clock = new ManualClock(1_000_000)
    const first = lease(bo, 'a.psd', clock.now(), HOUR)
    expect(computeLockTable([first], clock.now()).active).toHaveLength(1)
    clock.advance(HOUR - 1)
    expect(computeLockTable([first], clock.now()).active).toHaveLength(1)
    clock.advance(1)
    const table = computeLockTable([first], clock.now())
    expect(table.active).toEqual([])
    expect(table.leases.get(first.id)?.outcome.state).toBe('expired')
    const second = lease(cy, 'a.psd', clock.now(), HOUR)
    const after = computeLockTable([second, first], clock.now())
    expect(after.active.map((l) => l.holder.name)).toEqual(['cy'])
    expect(after.leases.get(first.id)?.outcome.state).toBe('expired')
  })

  it('renews a lease taken again by its holder, and frees the path on release', () => {
    const first = lease(bo, 'a.psd', 1000, HOUR)
    const again = lease(bo, 'a.psd', 2000, 2 * HOUR)
    let table = computeLockTable([again, first], 3000)
    expect(table.active[0].lease).toBe(again.id)
    expect(table.leases.get(first.id)?.outcome).toEqual({ state: 'renewed', by: again.id })
    // unlock names the lease it saw (the first); the renewal by the same member ends with it
    const release = end('release', bo, first, 4000)
    table = computeLockTable([release, again, first], 5000)
    expect(table.active).toEqual([])
    expect(table.leases.get(again.id)?.outcome).toEqual({ state: 'released', at: 4000 })
  })

  it('ignores a release signed by someone other than the holder; a break by anyone the caller verified ends it', () => {
    const held = lease(bo, 'a.psd', 1000, HOUR)
    const forgedRelease = end('release', cy, held, 2000)
    expect(computeLockTable([held, forgedRelease], 3000).active.map((l) => l.holder.name)).toEqual(['bo'])
    const broken = end('break', ana, held, 2500)
    const table = computeLockTable([broken, forgedRelease, held], 3000)
    expect(table.active).toEqual([])
    expect(table.leases.get(held.id)?.outcome).toEqual({ state: 'broken', by: ana, at: 2500 })
    // an ending of a lease that is not the holder's changes nothing
    const loser = lease(cy, 'a.psd', 1500, HOUR)
    const stray = end('break', ana, loser, 2000)
    expect(computeLockTable([held, loser, stray], 3000).active[0].holder.name).toBe('bo')
    expect(computeLockTable([stray], 3000).active).toEqual([])
  })

  it('a lease taken after a release wins over the released one', () => {
    const first = lease(bo, 'a.psd', 1000, HOUR)
    const release = end('release', bo, first, 2000)
    const next = lease(cy, 'a.psd', 3000, HOUR)
    for (const order of permutations([first, release, next])) {
      expect(computeLockTable(order, 4000).active.map((l) => l.holder.name)).toEqual(['cy'])
    }
  })
})

describe('lock records and their refs', () => {
  it('round-trips a record through its canonical encoding and refuses malformed ones with E_CORRUPT_OBJECT', () => {
    const r = lease(bo, 'art/hero.psd', 1000).record
    expect(decodeLockRecord(encodeLockRecord(r))).toEqual(r)
    const bad = (patch: Record<string, unknown>): void => {
      expect(() => decodeLockRecord(encodeLockRecord({ ...r, ...patch } as LockRecord))).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT' }))
    }
    bad({ kind: 'steal' })
    bad({ path: '../etc/passwd' })
    bad({ path: '/abs' })
    bad({ path: 'a\0b' })
    bad({ expires: 500 })
    bad({ at: -1 })
    bad({ signature: 'zz' })
    bad({ reason: 'x'.repeat(2000) })
    bad({ member: { name: 'x', publicKey: 'nothex' } })
    expect(() => decodeLockRecord(Buffer.from('{"kind":"lease"'))).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT' }))
    const e = end('break', ana, lease(bo, 'a', 1), 2).record
    expect(decodeLockRecord(encodeLockRecord(e))).toEqual(e)
    expect(() => decodeLockRecord(encodeLockRecord({ ...e, lease: 'nope' } as LockRecord))).toThrow(expect.objectContaining({ code: 'E_CORRUPT_OBJECT' }))
  })

  it('escapes any path into one safe ref component and back, and refuses refs that are not the one escaping', () => {
    const id = 'f'.repeat(64)
    for (const path of ['art/hero.psd', 'a..b/.lock', 'x.tmp-1', 'Ünïcode/名前.png', 'a=b', '.hidden', 'dir/file.lock']) {
      const escaped = escapeLockPath(path)
      expect(escaped).toMatch(/^[A-Za-z0-9_+,=-]+$/)
      expect(unescapeLockPath(escaped)).toBe(path)
      expect(parseLockRef(lockRefName(path, id))).toEqual({ path, recordId: id })
    }
    expect(escapeLockPath('art/hero.psd')).toBe('art=2Fhero=2Epsd')
    expect(unescapeLockPath('a=2fb')).toBeUndefined()
    expect(unescapeLockPath('=41')).toBeUndefined() // "A" is written as itself
    expect(parseLockRef('refs/locks/a/notanid')).toBeUndefined()
    expect(parseLockRef('refs/heads/main')).toBeUndefined()
    expect(() => escapeLockPath('é'.repeat(100))).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
  })

  it('parses --ttl durations and refuses others with E_BAD_TTL', () => {
    expect(parseTtl('8h')).toBe(8 * HOUR)
    expect(parseTtl('1h30m')).toBe(90 * 60_000)
    expect(parseTtl(' 2d ')).toBe(48 * HOUR)
    expect(parseTtl('90s')).toBe(90_000)
    expect(parseTtl('1w')).toBe(7 * 24 * HOUR)
    expect(DEFAULT_LOCK_TTL_MS).toBe(8 * HOUR)
    for (const bad of ['8', 'h', '-1h', '8 hours', '', '0s', '31d', '1.5h']) {
      expect(() => parseTtl(bad), bad).toThrow(expect.objectContaining({ code: 'E_BAD_TTL' }))
    }
  })
})
