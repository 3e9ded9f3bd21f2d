import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { decodeAsset } from '../../src/objects/asset.js'
import { decodeFileManifest } from '../../src/objects/file-manifest.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { GAS_BIN, gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

function serve (dir: string): ChildProcess {
  return spawn(process.execPath, [GAS_BIN, 'serve'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Resolves once the serve said it is serving (and so has announced itself). */
async function serving (child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => { if (d.toString().includes('serving')) resolve() })
    child.once('exit', (code) => reject(new Error(`gas serve exited with ${code}`)))
  })
}

async function until (what: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

describe('the transfer queue survives SIGKILL of gas serve', () => {
  it('a serve killed mid-fetch leaves a whole queue and store; the next serve finishes from what is missing', async () => {
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs', previewer: async () => [] })
    ana.config = { ...ana.config, trackers: [tracker.url] }
    await ana.saveConfig()
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['lead'] })))
    writeFileSync(join(ana.root, 'level.pak'), randomBytes(3_000_000))
    const [added] = await gas.add(ana, { paths: [join(ana.root, 'level.pak')] })
    await gas.commit(ana, { message: 'level' })
    await ana.close()
    await bo.close()
    const anaServe = serve(ana.root)
    const children = [anaServe]
    try {
      await serving(anaServe)
      // outside every window: the sync queues the content
      expect((await gasInProcess(bo.root, ['schedule', 'set', 'daily 00:00-00:01 Pacific/Kiritimati', '--outside-limit', '0'])).status).toBe(0)
      const queued = JSON.parse((await gasInProcess(bo.root, ['sync', '--once', '--json'])).stdout)
      expect(queued.peers).toBe(1)
      expect(queued.queued.items).toBe(1)
      // a window open now at 300 kB/s: bo's serve starts fetching; it is killed part way
      expect((await gasInProcess(bo.root, ['schedule', 'set', 'daily 00:00-24:00 UTC 300kB/s', '--busy-cpu', '100'])).status).toBe(0)
      const boServe = serve(bo.root)
      children.push(boServe)
      const boWs = await gas.open({ dir: bo.root })
      const manifest = decodeFileManifest((await boWs.store.get(decodeAsset((await boWs.store.get(added.asset)).body).file)).body)
      await boWs.close()
      const held = async (): Promise<number> => {
        const ws = await gas.open({ dir: bo.root })
        try {
          let n = 0
          for (const c of manifest.chunks) if (await ws.store.has(c.id)) n++
          return n
        } finally { await ws.close() }
      }
      // 3 MB at 300 kB/s take 10 s: killed once a megabyte reached the pack file (recovered on the next open)
      const packBytes = (): number => readdirSync(join(bo.root, '.gas', 'objects', 'pack')).filter((f) => f.endsWith('.pack')).reduce((sum, f) => sum + statSync(join(bo.root, '.gas', 'objects', 'pack', f)).size, 0)
      await until(async () => packBytes() > 1_000_000, 30_000)
      boServe.kill('SIGKILL')
      await new Promise((resolve) => boServe.once('exit', resolve))
      const part = await held()
      expect(part).toBeLessThan(manifest.chunks.length)
      expect(part).toBeGreaterThan(0)
      const queue = JSON.parse(readFileSync(join(bo.root, '.gas', 'queue.json'), 'utf8'))
      expect(queue.items.map((i: { path: string }) => i.path)).toEqual(['level.pak'])
      expect(JSON.parse((await gasInProcess(bo.root, ['fsck', '--json'])).stdout).ok).toBe(true)

      // the next serve, unlimited, fetches only what is missing and empties the queue
      expect((await gasInProcess(bo.root, ['schedule', 'set'])).status).toBe(0)
      const again = serve(bo.root)
      children.push(again)
      await until(async () => JSON.parse(readFileSync(join(bo.root, '.gas', 'queue.json'), 'utf8')).items.length === 0, 30_000)
      expect(await held()).toBe(manifest.chunks.length)
      again.kill('SIGTERM')
      await new Promise((resolve) => again.once('exit', resolve))
      const synced = JSON.parse((await gasInProcess(bo.root, ['sync', '--once', '--json'])).stdout)
      expect(synced.peers).toBe(1)
      expect(synced.fetched.objects).toBe(0)
      expect(readFileSync(join(bo.root, 'level.pak')).equals(readFileSync(join(ana.root, 'level.pak')))).toBe(true)
    } finally {
      for (const child of children) child.kill('SIGKILL')
    }
  })
})
