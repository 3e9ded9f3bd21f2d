import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { syncLocksJson, syncLocksLines } from '../../src/cli/lock-report.js'
import type { PeerSyncResult } from '../../src/peer/sync/peer-node.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('gas lock / unlock / locks (CLI)', () => {
  it('locks with a ttl and reason, lists, renews, refuses bad input with typed errors and unlocks', async () => {
    const dir = tmp()
    await (await gas.init({ dir, name: 'ana', team: 'orcs' })).close()
    const before = process.env.GAS_NOW
    process.env.GAS_NOW = '2026-11-30T09:00:00Z'
    try {
      expect((await gasInProcess(dir, ['locks'])).stdout).toBe('no locks\n')
      const locked = await gasInProcess(dir, ['lock', 'art/hero.psd', '--ttl', '1h30m', '-m', 'rigging', '--json'])
      expect(locked.status, locked.stderr).toBe(0)
      expect(JSON.parse(locked.stdout)).toMatchObject({ renewed: false, lock: { path: 'art/hero.psd', holder: 'ana', created: '2026-11-30T09:00:00.000Z', expires: '2026-11-30T10:30:00.000Z', reason: 'rigging' } })
      const again = await gasInProcess(dir, ['lock', 'art/hero.psd'])
      expect(again.stdout).toMatch(/^renewed art\/hero\.psd until 2026-11-30 /)
      const list = await gasInProcess(dir, ['locks', '--json'])
      expect(JSON.parse(list.stdout).locks).toEqual([expect.objectContaining({ path: 'art/hero.psd', holder: 'ana', mine: true, reason: 'rigging', expires: '2026-11-30T17:00:00.000Z' })])
      expect((await gasInProcess(dir, ['locks'])).stdout).toContain('art/hero.psd  ana until')

      const badTtl = await gasInProcess(dir, ['lock', 'a.psd', '--ttl', 'forever'])
      expect(badTtl.status).toBe(1)
      expect(badTtl.stderr).toMatch(/^gas: E_BAD_TTL: "forever" is not a lock duration/)
      const outside = await gasInProcess(dir, ['lock', '../elsewhere.psd'])
      expect(outside.stderr).toMatch(/^gas: E_PATH_ESCAPE/)
      const notLocked = await gasInProcess(dir, ['unlock', 'nothing.psd', '--json'])
      expect(notLocked.status).toBe(1)
      expect(JSON.parse(notLocked.stderr).error.code).toBe('E_NOT_LOCKED')

      expect((await gasInProcess(dir, ['unlock', 'art/hero.psd'])).stdout).toBe('unlocked art/hero.psd\n')
      expect(JSON.parse((await gasInProcess(dir, ['locks', '--json'])).stdout).locks).toEqual([])
    } finally {
      if (before === undefined) delete process.env.GAS_NOW
      else process.env.GAS_NOW = before
    }
  })

  it('prints what a sync learnt of locks: lost, broken, refused, received', () => {
    const result = { locks: { adopted: 2, rejected: [{ peer: 'bo', ref: 'refs/locks/x/y', code: 'E_BAD_SIGNATURE', message: 'not signed' }], lost: [{ path: 'a.psd', lease: 'l', holder: 'bo', holderKey: 'k', expires: Date.UTC(2026, 10, 30, 17), reason: 'rig' }], broken: [{ path: 'b.psd', lease: 'm', by: 'ana', at: Date.UTC(2026, 10, 30, 10) }] } } as unknown as PeerSyncResult
    expect(syncLocksLines(result, 'Europe/Paris')).toEqual([
      '  LOCK LOST a.psd: bo locked it first (until 2026-11-30 18:00 Europe/Paris, rig); your lock does not hold',
      '  LOCK BROKEN b.psd: ana broke your lock at 2026-11-30 11:00 Europe/Paris',
      '  refused lock record refs/locks/x/y from bo: E_BAD_SIGNATURE: not signed',
      '  2 lock record(s) received'
    ])
    expect(syncLocksJson(result)).toMatchObject({ lost: [{ path: 'a.psd', holder: 'bo', expires: '2026-11-30T17:00:00.000Z', reason: 'rig' }], broken: [{ by: 'ana', at: '2026-11-30T10:00:00.000Z' }] })
    expect(syncLocksJson({} as PeerSyncResult)).toBeNull()
    expect(syncLocksLines({} as PeerSyncResult, 'UTC')).toEqual([])
  })
})
