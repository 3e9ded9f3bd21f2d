import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import type { FileSystem } from '../../src/objects/fs.js'
import { realFs } from '../../src/objects/fs.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { useTmp } from '../helpers/tmp.js'
import { serve, team, waits, writeBuildFolder } from './helpers.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

const MiB = 1024 * 1024

describe('build fetch writes large files while their chunks arrive', () => {
  it('every large file of the build, moved in and verified; nothing left beside DIR', async () => {
    const { lead, members: [member] } = await team(tmp, tracker.url, ['qa'])
    const out = join(lead.root, 'out')
    const sizes: Record<string, number> = { 'game.exe': 100_000 }
    for (let i = 0; i < 5; i++) sizes[`Data/level${i}.pak`] = 9 * MiB + i
    writeBuildFolder(out, sizes)
    const published = await gas.publishBuild(lead, { dir: out, name: 'game', version: '1' })
    // the tester's file system records where files are written
    const written: string[] = []
    const recording: FileSystem = {
      ...realFs,
      open: (async (...args: Parameters<FileSystem['open']>) => {
        if (args[1] !== undefined && args[1] !== 'r') written.push(String(args[0]))
        return await realFs.open(...args)
      }) as FileSystem['open']
    }
    const root = member.root
    await member.close()
    const qa = await gas.open({ dir: root, fs: recording })
    const stop = serve(lead)
    try {
      const dest = join(tmp(), 'game')
      const got = await gas.fetchBuild({ ws: qa, spec: 'game@1', dir: dest, trackers: [], security: gas.peerSecurity(qa), ...waits })
      expect(got.build).toBe(published.build)
      expect(await gas.verifyBuildFolder({ dir: dest })).toMatchObject({ ok: true, mismatches: [], missing: [] })
      for (const path of Object.keys(sizes)) expect(readFileSync(join(dest, path)).equals(readFileSync(join(out, path)))).toBe(true)
      // the five levels were written beside DIR as they arrived (a sync takes up four); the small file the usual way
      expect(written.filter((p) => p.includes('.game.gas-arriving-'))).toHaveLength(5)
      expect(readdirSync(join(dest, '..'))).toEqual(['game'])
    } finally {
      await stop()
      await qa.close()
    }
  }, 120_000)
})
