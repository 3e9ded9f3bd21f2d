import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { gasSpawn } from '../helpers/cli.js'
import { gasAsync, seededPair, stopProcess } from '../helpers/team.js'
import { useTmp } from '../helpers/tmp.js'

/** Real processes: `gas serve --listen` and `gas sync --once` on 127.0.0.1, as a user runs them. */

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })
const children: ChildProcess[] = []
afterEach(async () => { for (const c of children.splice(0)) await stopProcess(c) })

/** Starts `gas serve ARGS` and resolves with the direct address it prints. */
async function serveListening (dir: string, args: string[]): Promise<string> {
  const child = gasSpawn(dir, ['serve', ...args])
  children.push(child)
  let said = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (text: string) => { said += text })
  for (;;) {
    const m = /listening for direct connections on (\S+)/.exec(said)
    if (m !== null) return m[1]
    const [exited] = await Promise.race([once(child.stderr!, 'data').then(() => [false]), once(child, 'exit').then(() => [true])])
    if (exited === true) throw new Error(`gas serve exited: ${said}`)
  }
}

async function seeded (trackers: boolean): Promise<{ ana: gas.Workspace, bo: gas.Workspace, bytes: Buffer }> {
  return await seededPair([tmp(), tmp()], tracker.url, { trackers, size: 3 * 1024 * 1024, seed: 'direct-processes' })
}

describe('gas serve --listen → gas sync --once, real processes on 127.0.0.1', () => {
  it('the sync finds the serve through the tracker and fetches over TCP', async () => {
    const { ana, bo, bytes } = await seeded(true)
    const address = await serveListening(ana.root, ['--listen', '127.0.0.1:0'])
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/)
    const r = await gasAsync(bo.root, ['sync', '--once', '--json'])
    expect(r.status, r.stderr).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json.routes).toEqual([expect.objectContaining({ transport: 'tcp', type: 'direct', remote: address })])
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
  }, 90_000)

  it('without a tracker: `gas team peer ADDRESS` (or --peer) is enough', async () => {
    const { ana, bo, bytes } = await seeded(false)
    const address = await serveListening(ana.root, ['--listen', '127.0.0.1:0'])
    const added = await gasAsync(bo.root, ['team', 'peer', address, '--json'])
    expect(added.status, added.stderr).toBe(0)
    expect(JSON.parse(added.stdout)).toEqual({ peers: [address] })
    const r = await gasAsync(bo.root, ['sync', '--once'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`via tcp direct: 127\\.0\\.0\\.1:\\d+ -> ${address.replace(/\./g, '\\.')}`))
    expect(readFileSync(join(bo.root, 'level.pak')).equals(bytes)).toBe(true)
  }, 90_000)

  it('refuses a listen address in use and an address that is not one, with E_BAD_ARGUMENT', async () => {
    const { ana, bo } = await seeded(false)
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    try {
      const port = (taken.address() as { port: number }).port
      const r = await gasAsync(ana.root, ['serve', '--listen', `127.0.0.1:${port}`])
      expect(r.status).toBe(2) // E_BAD_ARGUMENT is a usage error
      expect(r.stderr).toMatch(/E_BAD_ARGUMENT: .*cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/)
    } finally {
      taken.close()
    }
    const bad = await gasAsync(bo.root, ['team', 'peer', 'not-an-address'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/E_BAD_ARGUMENT: "not-an-address" is not an address/)
  }, 90_000)
})
