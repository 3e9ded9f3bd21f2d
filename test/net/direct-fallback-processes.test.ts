import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { gasSpawn } from '../helpers/cli.js'
import { cuttingProxy } from '../helpers/cutting-proxy.js'
import { gasAsync, seededPair, stopProcess } from '../helpers/team.js'
import { useTmp } from '../helpers/tmp.js'

/**
 * The tests for the direct path with real processes (`gas serve`, `gas sync --once` on
 * 127.0.0.1): a stranger cannot complete the TCP handshake, a peer reachable only over WebRTC is
 * still synced, and a TCP connection cut mid-transfer resumes over either path.
 */

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })
const children: ChildProcess[] = []
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of children.splice(0)) await stopProcess(c)
  for (const c of closers.splice(0)) await c()
})

/** Starts `gas serve ARGS`; resolves once it serves (and, with --listen, with the address it listens on). */
async function serve (dir: string, args: string[]): Promise<{ child: ChildProcess, address?: string }> {
  const child = gasSpawn(dir, ['serve', ...args])
  children.push(child)
  let said = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (text: string) => { said += text })
  for (;;) {
    const address = /listening for direct connections on (\S+)/.exec(said)?.[1]
    if (said.includes('serving') && (address !== undefined || args.includes('--no-direct'))) return { child, address }
    const [exited] = await Promise.race([once(child.stderr!, 'data').then(() => [false]), once(child, 'exit').then(() => [true])])
    if (exited === true) throw new Error(`gas serve exited: ${said}`)
  }
}

/** ana (lead, holding an 8 MiB file) and bo, with no tracker in their config (the tests pass --tracker when they want one). */
async function seeded (): Promise<{ ana: gas.Workspace, bo: gas.Workspace, bytes: Buffer }> {
  return await seededPair([tmp(), tmp()], tracker.url, { trackers: false, size: 8 * 1024 * 1024, seed: 'direct-fallback' })
}

describe('the direct path with real processes: strangers, WebRTC only, a cut connection', () => {
  it('a key that is not a member cannot complete the TCP handshake; the serve keeps serving members', async () => {
    const { ana, bo, bytes } = await seeded()
    const { address } = await serve(ana.root, ['--listen', '127.0.0.1:0'])
    // mallory claims the team (its id is no secret) but holds no certificate of it
    const stranger = await gas.init({ dir: tmp(), name: 'mallory' })
    stranger.config = { ...stranger.config, team: ana.config.team }
    await stranger.saveConfig()
    await stranger.close()
    const refused = await gasAsync(stranger.root, ['sync', '--once', '--peer', address!])
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/^gas: E_NO_PEERS: /m)
    expect(refused.stderr).toMatch(/E_AUTH/)
    const r = await gasAsync(bo.root, ['sync', '--once', '--json', '--peer', address!])
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).routes).toEqual([expect.objectContaining({ transport: 'tcp' })])
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
  }, 120_000)

  it('a peer reachable only over WebRTC (gas serve --no-direct) is still synced', async () => {
    const { ana, bo, bytes } = await seeded()
    await serve(ana.root, ['--no-direct', '--tracker', tracker.url])
    const r = await gasAsync(bo.root, ['sync', '--once', '--json', '--tracker', tracker.url])
    expect(r.status, r.stderr).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json.complete).toBe(true)
    expect(json.routes.map((route: { transport: string }) => route.transport)).toEqual(['webrtc'])
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
  }, 120_000)

  it('a TCP connection cut mid-transfer resumes over TCP, or over WebRTC, fetching only what is missing', async () => {
    for (const second of ['tcp', 'webrtc'] as const) {
      const { ana, bo, bytes } = await seeded()
      const first = await serve(ana.root, ['--listen', '127.0.0.1:0'])
      const [host, port] = first.address!.split(':')
      // the cable breaks after 3 MiB from ana to bo
      const cut = await cuttingProxy(host, Number(port), 3 * 1024 * 1024)
      closers.push(async () => await new Promise<void>((resolve) => cut.close(() => resolve())))
      const broken = await gasAsync(bo.root, ['sync', '--once', '--json', '--peer', `127.0.0.1:${(cut.address() as { port: number }).port}`])
      const firstBytes = broken.status === 0 ? (JSON.parse(broken.stdout) as { fetched: { bytes: number }, complete: boolean }).fetched.bytes : 0
      if (broken.status === 0) expect(JSON.parse(broken.stdout).complete).toBe(false)
      let args = ['--peer', first.address!]
      if (second === 'webrtc') {
        await stopProcess(first.child)
        await serve(ana.root, ['--no-direct', '--tracker', tracker.url])
        args = ['--tracker', tracker.url]
      }
      const r = await gasAsync(bo.root, ['sync', '--once', '--json', ...args])
      expect(r.status, r.stderr).toBe(0)
      const json = JSON.parse(r.stdout) as { complete: boolean, fetched: { bytes: number }, routes: Array<{ transport: string }> }
      expect(json.complete).toBe(true)
      expect(json.routes.map((route) => route.transport)).toEqual([second])
      expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
      // what arrived before the cut is not asked again
      expect(json.fetched.bytes).toBeLessThan(bytes.length - 1024 * 1024)
      expect(firstBytes + json.fetched.bytes).toBeLessThan(bytes.length * 1.25)
      for (const c of children.splice(0)) await stopProcess(c)
    }
  }, 240_000)
})
