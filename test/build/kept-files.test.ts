import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { writeBuildFolder } from './helpers.js'

/** A build fetched over the previous one keeps what the tester (or the game) wrote into its folder. */

const tmp = useTmp()
const noPeers = { trackers: ['ws://127.0.0.1:9'], firstPeerWaitMs: 200 }
const opened: gas.Workspace[] = []
afterEach(async () => { for (const ws of opened.splice(0)) await ws.close().catch(() => {}) })

async function twoBuilds (): Promise<{ ws: gas.Workspace, dest: string }> {
  const ws = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
  opened.push(ws)
  const out = join(ws.root, 'out')
  writeBuildFolder(out, { 'game.exe': 5000, 'Data/level.pak': 30_000, 'Data/old.pak': 1000 })
  await gas.publishBuild(ws, { dir: out, name: 'game', version: '1' })
  // version 2: old.pak gone, a new file where the tester keeps a file of theirs
  const { rm } = await import('node:fs/promises')
  await rm(join(out, 'Data/old.pak'))
  writeFileSync(join(out, 'game.exe'), 'v2')
  writeFileSync(join(out, 'settings.ini'), 'defaults')
  await gas.publishBuild(ws, { dir: out, name: 'game', version: '2' })
  const dest = join(tmp(), 'game')
  await gas.fetchBuild({ ws, spec: 'game@1', dir: dest, security: gas.peerSecurity(ws), ...noPeers })
  return { ws, dest }
}

function write (path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
}

describe('gas build fetch over a previous build', () => {
  it("carries the tester's files into the new folder; the build's own files are the new build's", async () => {
    const { ws, dest } = await twoBuilds()
    write(join(dest, 'saves/slot1.sav'), 'level 7')
    write(join(dest, 'crash-0412.dmp'), 'dump')
    write(join(dest, 'settings.ini'), 'my keys')
    writeFileSync(join(dest, 'game.exe'), 'patched by hand')
    const got = await gas.fetchBuild({ ws, spec: 'game@2', dir: dest, security: gas.peerSecurity(ws), ...noPeers })
    expect(got.kept.sort()).toEqual(['.gas-kept/settings.ini', 'crash-0412.dmp', 'saves/slot1.sav'])
    expect(got.previousKeptAs).toBeUndefined()
    expect(readFileSync(join(dest, 'saves/slot1.sav'), 'utf8')).toBe('level 7')
    expect(readFileSync(join(dest, 'crash-0412.dmp'), 'utf8')).toBe('dump')
    // a path the new build uses keeps the build's file; the tester's moves aside, not lost
    expect(readFileSync(join(dest, 'settings.ini'), 'utf8')).toBe('defaults')
    expect(readFileSync(join(dest, '.gas-kept/settings.ini'), 'utf8')).toBe('my keys')
    expect(readFileSync(join(dest, 'game.exe'), 'utf8')).toBe('v2')
    // the previous build's file the new one dropped is gone, and nothing is left beside the folder
    expect(existsSync(join(dest, 'Data/old.pak'))).toBe(false)
    expect(readdirSync(dirname(dest))).toEqual(['game'])
    const report = await gas.verifyBuildFolder({ dir: dest })
    expect(report).toMatchObject({ missing: [], mismatches: [] })
    expect(report.extra.sort()).toEqual(['.gas-kept/settings.ini', 'crash-0412.dmp', 'saves/slot1.sav'])
  })

  it('keeps the previous folder whole when its record cannot be checked, and says so on the CLI', async () => {
    const { ws, dest } = await twoBuilds()
    write(join(dest, 'saves/slot1.sav'), 'level 7')
    writeFileSync(join(dest, '.gas-build.json'), '{"gasBuild": 1, "id": "x"}')
    await ws.close()
    const cli = async (args: string[]): Promise<string> => {
      const r = await gasInProcess(ws.root, ['build', 'fetch', ...args, '--tracker', 'ws://127.0.0.1:9', '--wait', '0.2'])
      expect(r.status, r.stderr).toBe(0)
      return r.stdout
    }
    const stdout = await cli(['game@2', dest])
    const previous = readdirSync(dirname(dest)).find((n) => n.startsWith('game.previous-'))
    expect(previous).toBeDefined()
    expect(stdout).toContain(`the previous folder is kept whole as ${join(dirname(dest), previous!)}`)
    expect(readFileSync(join(dirname(dest), previous!, 'saves/slot1.sav'), 'utf8')).toBe('level 7')
    expect(readFileSync(join(dest, 'game.exe'), 'utf8')).toBe('v2')
    write(join(dest, 'notes.txt'), 'repro: jump twice')
    expect(JSON.parse(await cli(['game@1', dest, '--json']))).toMatchObject({ kept: ['notes.txt'] })
    expect(await cli(['game@2', dest])).toContain("kept 1 file(s) of yours from the previous build's folder (not part of that build): notes.txt")
  })
})
