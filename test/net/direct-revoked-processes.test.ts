import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { writeRandomFile } from '../fixtures/project.js'
import { gasSpawn } from '../helpers/cli.js'
import { gasAsync, makeTeam, stopProcess } from '../helpers/team.js'
import { useTmp } from '../helpers/tmp.js'

/**
 * Issue 15 / 21: a revoked member cannot complete the direct (TCP/TLS) handshake with a peer that
 * learnt of the revocation from a third peer; the refusal comes from the member proof, before any
 * session (HELLO) exists. Real `gas serve --listen` and `gas sync --once --peer` processes.
 */

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })
const children: ChildProcess[] = []
afterEach(async () => { for (const c of children.splice(0)) await stopProcess(c) })

/** Starts `gas serve --listen 127.0.0.1:0`; resolves with its direct address and a view of what it said so far. */
async function serveListening (dir: string): Promise<{ address: string, said: () => string, child: ChildProcess }> {
  const child = gasSpawn(dir, ['serve', '--listen', '127.0.0.1:0'])
  children.push(child)
  let said = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (text: string) => { said += text })
  for (;;) {
    const m = /listening for direct connections on (\S+)/.exec(said)
    if (m !== null) return { address: m[1], said: () => said, child }
    const [exited] = await Promise.race([once(child.stderr!, 'data').then(() => [false]), once(child, 'exit').then(() => [true])])
    if (exited === true) throw new Error(`gas serve exited: ${said}`)
  }
}

describe('the direct path refuses a revoked member', () => {
  it('a peer that learnt the revocation from the lead refuses the revoked key in the TCP handshake', async () => {
    const [ana, bo, cy] = await makeTeam([tmp(), tmp(), tmp()], ['ana', 'bo', 'cy'], tracker.url)
    for (const ws of [ana, bo, cy]) {
      // direct addresses only: no WebRTC route through the tracker, so the TCP handshake is the only way in
      ws.config = { ...ws.config, trackers: [] }
      await ws.saveConfig()
    }
    await writeRandomFile(join(ana.root, 'level.pak'), 256 * 1024, 'revoked-direct')
    await gas.add(ana, { paths: [ana.root] })
    await gas.commit(ana, { message: 'level' })
    for (const ws of [ana, bo, cy]) await ws.close()

    const revoke = await gasAsync(ana.root, ['team', 'revoke', 'bo'])
    expect(revoke.status, revoke.stderr).toBe(0)
    const lead = await serveListening(ana.root)
    const learnt = await gasAsync(cy.root, ['sync', '--once', '--peer', lead.address, '--json'])
    expect(learnt.status, learnt.stderr).toBe(0)
    expect(JSON.parse(learnt.stdout).routes).toEqual([expect.objectContaining({ transport: 'tcp', type: 'direct' })])
    await stopProcess(lead.child)
    const list = JSON.parse((await gasAsync(cy.root, ['team', 'list', '--json'])).stdout) as { members: Array<{ name: string, revoked: boolean }> }
    expect(list.members.find((m) => m.name === 'bo')?.revoked).toBe(true)

    const serving = await serveListening(cy.root)
    const refused = await gasAsync(bo.root, ['sync', '--once', '--peer', serving.address, '--json'])
    expect(refused.status).toBe(1)
    expect(JSON.parse(refused.stdout)).toMatchObject({ peers: 0, fetched: { objects: 0 } })
    expect(existsSync(join(bo.root, 'level.pak'))).toBe(false)
    // bo is told which address hung up on its proof and what that means (the server says nothing: a refused key learns nothing from it)
    expect(refused.stderr).toMatch(new RegExp(`no peer to sync with: no tracker asked; peers dropped: ${serving.address.replace(/\./g, '\\.')} \\(E_AUTH: .* hung up after our membership proof.*revoked`))
    expect(refused.stderr).toMatch(/every peer that answered was refused over team membership/)
    // cy's serve refused the connection in the direct handshake (a "tcp ADDRESS" event), by the revocation
    for (let i = 0; i < 50 && !/E_REVOKED/.test(serving.said()); i++) await new Promise((resolve) => setTimeout(resolve, 100))
    expect(serving.said()).toMatch(/tcp 127\.0\.0\.1:\d+ closed: E_REVOKED: bo's membership of orcs was revoked by ana/)
  }, 120_000)
})
