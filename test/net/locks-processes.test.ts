import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { GAS_BIN } from '../helpers/cli.js'
import { cliTeam, gasOk, runGas, startServe, stopGas, type GasCommand } from '../helpers/cli-team.js'
import { useTmp } from '../helpers/tmp.js'

/**
 * Locks between real `gas` processes over real WebRTC on 127.0.0.1: three members in three time
 * zones lock, edit and sync in several orders (the lead serving, then each of the others) and all
 * end with the same history, every version anyone made, and the same lock table. Time comes from $GAS_NOW, so expiry needs no waiting.
 */

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker?.close() })

const inZone = (zone: string): GasCommand => () => ['env', `TZ=${zone}`, process.execPath, GAS_BIN]
const T = Date.UTC(2026, 10, 30, 9)
const at = (minutes: number): NodeJS.ProcessEnv => ({ GAS_NOW: String(T + minutes * 60_000) })

describe('locks between three members (real processes, real WebRTC)', () => {
  it('the earlier lease wins everywhere, the loser is told at their next sync, locks expire and a lead breaks one', async () => {
    const cmds = [inZone('Asia/Tokyo'), inZone('Europe/Paris'), inZone('America/New_York')]
    const [ana, bo, cy] = await cliTeam(tmp(), ['ana', 'bo', 'cy'], cmds, [tracker.url])
    const gas = async (i: number, dir: string, args: string[], minutes: number): Promise<{ status: number, stdout: string, stderr: string, json: any }> => {
      const r = await runGas(cmds[i], dir, args, at(minutes))
      let json: any = null
      try { json = JSON.parse(r.stdout) } catch {}
      return { ...r, json }
    }
    const sync = async (i: number, dir: string, minutes: number): Promise<any> => {
      for (let attempt = 0; ; attempt++) {
        const r = await gas(i, dir, ['sync', '--once', '--json'], minutes)
        if (r.json?.peers > 0 || attempt >= 2) {
          expect(r.status, r.stderr).toBe(0)
          return r.json
        }
      }
    }
    const table = async (i: number, dir: string, minutes: number): Promise<string[]> =>
      (await gas(i, dir, ['locks', '--json'], minutes)).json.locks.map((l: any) => `${l.path} ${l.holder} ${l.expires as string} ${l.lease as string}`)

    writeFileSync(join(ana, 'hero.psd'), 'hero v1')
    writeFileSync(join(ana, 'level.map'), 'level v1')
    await gasOk(cmds[0], ana, ['add', 'hero.psd', 'level.map'])
    await gasOk(cmds[0], ana, ['commit', '-m', 'first art'])
    let serve = await startServe(cmds[0], ana, at(0))
    try {
      await sync(1, bo, 0)
      await sync(2, cy, 0)

      // apart: bo locks hero.psd a minute before cy does; each also locks something of their own
      expect((await gas(0, ana, ['lock', 'level.map', '-m', 'lighting pass'], 1)).status).toBe(0)
      const boLock = await gas(1, bo, ['lock', 'hero.psd', '--ttl', '8h', '-m', 'rigging', '--json'], 1)
      expect(boLock.json.lock).toMatchObject({ path: 'hero.psd', holder: 'bo', created: '2026-11-30T09:01:00.000Z', expires: '2026-11-30T17:01:00.000Z', timeZone: 'Europe/Paris' })
      expect((await gas(2, cy, ['lock', 'hero.psd', '-m', 'uv fix'], 2)).status).toBe(0)
      expect((await gas(2, cy, ['lock', 'ui.png', '--ttl', '2h'], 2)).status).toBe(0)

      // cy syncs first: the serving lead adopts cy's leases; nobody has lost anything yet
      expect((await sync(2, cy, 3)).locks).toMatchObject({ lost: [], rejected: [] })
      // bo syncs: bo's earlier lease reaches the lead and beats cy's there; bo is told nothing
      const boSync = await sync(1, bo, 4)
      expect(boSync.locks).toMatchObject({ lost: [], broken: [], rejected: [] })
      expect(boSync.locks.adopted).toBeGreaterThanOrEqual(3)

      // cy learns at the next sync that its lease lost, to whom, until when (once)
      const cySync = await sync(2, cy, 5)
      expect(cySync.locks.lost).toEqual([{ path: 'hero.psd', holder: 'bo', expires: '2026-11-30T17:01:00.000Z', reason: 'rigging' }])
      expect((await sync(2, cy, 6)).locks.lost).toEqual([])
      // cy edits hero.psd anyway: the commit goes through and warns with holder and expiry
      writeFileSync(join(cy, 'hero.psd'), 'hero v2 by cy')
      await gasOk(cmds[2], cy, ['add', 'hero.psd'])
      const commit = await gas(2, cy, ['commit', '-m', 'uv fix', '--json'], 7)
      expect(commit.status).toBe(0)
      expect(commit.json.lockedByOthers).toEqual([expect.objectContaining({ path: 'hero.psd', holder: 'bo', expires: '2026-11-30T17:01:00.000Z' })])
      expect(commit.stderr).toContain('gas: warning: hero.psd is locked by bo until 2026-11-30 12:01 America/New_York (rigging)')
      const human = await gas(2, cy, ['lock', 'hero.psd'], 7)
      expect(human.status).toBe(1)
      expect(human.stderr).toMatch(/^gas: E_LOCKED_BY_OTHER: hero\.psd is locked by bo until 2026-11-30 12:01 America\/New_York \(rigging\)/)

      // every member ends with the same table
      const expected = await table(0, ana, 8)
      expect(expected.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['hero.psd bo', 'level.map ana', 'ui.png cy'])
      await sync(1, bo, 8)
      expect(await table(1, bo, 8)).toEqual(expected)
      expect(await table(2, cy, 8)).toEqual(expected)

      // expiry: two hours after cy locked it ui.png is free on every peer, with no message exchanged
      for (const [i, dir] of [ana, bo, cy].entries()) {
        expect((await table(i, dir, 2 + 120)).map((l) => l.split(' ')[0])).toEqual(['hero.psd', 'level.map'])
        expect(await table(i, dir, 9 * 60)).toEqual([])
      }

      // a lead breaks bo's lock; the break is signed, spreads, and bo is told who broke it
      const broke = await gas(0, ana, ['unlock', 'hero.psd', '--break', '--json'], 10)
      expect(broke.json).toMatchObject({ path: 'hero.psd', holder: 'bo', broken: true })
      const boTold = await sync(1, bo, 11)
      expect(boTold.locks.broken).toEqual([{ path: 'hero.psd', by: 'ana', at: '2026-11-30T09:10:00.000Z' }])
      await sync(2, cy, 11)
      const after = await table(0, ana, 12)
      expect(after.map((l) => l.split(' ')[0])).toEqual(['level.map', 'ui.png'])
      expect(await table(1, bo, 12)).toEqual(after)
      expect(await table(2, cy, 12)).toEqual(after)
      // now cy may take it
      expect((await gas(2, cy, ['lock', 'hero.psd'], 13)).status).toBe(0)

      // the edits meet: bo commits beside cy's, then each serves in turn while the others sync
      writeFileSync(join(bo, 'notes.txt'), 'rig notes by bo')
      await gasOk(cmds[1], bo, ['add', 'notes.txt'])
      await gasOk(cmds[1], bo, ['commit', '-m', 'rig notes'])
      await stopGas(serve)
      serve = await startServe(cmds[2], cy, at(15))
      await sync(0, ana, 15)
      const merged = await sync(1, bo, 15)
      expect(merged.merge).toMatchObject({ conflicts: [], error: null })
      await stopGas(serve)
      serve = await startServe(cmds[1], bo, at(16))
      await sync(0, ana, 16)
      await sync(2, cy, 16)
      // the same history everywhere, with every version anyone made, and the same lock table
      const history = async (i: number, dir: string): Promise<string[]> => (await gas(i, dir, ['log', '--json'], 17)).json.versions.map((v: any) => `${v.id as string} ${v.message as string}`)
      const anaHistory = await history(0, ana)
      expect(anaHistory.map((line) => line.slice(65)).sort()).toEqual(expect.arrayContaining(['first art', 'rig notes', 'uv fix']))
      expect(anaHistory).toHaveLength(4)
      expect(await history(1, bo)).toEqual(anaHistory)
      expect(await history(2, cy)).toEqual(anaHistory)
      const final = await table(0, ana, 17)
      expect(final.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['hero.psd cy', 'level.map ana', 'ui.png cy'])
      expect(await table(1, bo, 17)).toEqual(final)
      expect(await table(2, cy, 17)).toEqual(final)
    } finally {
      await stopGas(serve)
    }
  }, 300_000)
})
