import { createSocket } from 'node:dgram'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { queryLan, startLanAnnouncer } from '../../src/peer/discovery/lan-discovery.js'
import type { DirectAnnounce } from '../../src/peer/transport/direct-announce.js'
import { writeRandomFile } from '../fixtures/project.js'
import { gasSpawn } from '../helpers/cli.js'
import { gasAsync, makeTeam, stopProcess } from '../helpers/team.js'
import { useTmp } from '../helpers/tmp.js'

/** LAN discovery by multicast, kept on the loopback interface (127.0.0.1) and a port of each test's own. */

const tmp = useTmp()
const closers: Array<() => unknown> = []
afterEach(async () => { for (const c of closers.splice(0).reverse()) await c() })

async function freeUdpPort (): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))
  const port = s.address().port
  s.close()
  return port
}

const announceOf = (peerId: string, addresses: string[]): DirectAnnounce => ({ peerId, publicKey: 'ab'.repeat(32), teamId: 'team', addresses, signature: 'cd'.repeat(64) })

describe('LAN discovery', () => {
  it('a query is answered by the announcers of its team only, and garbage on the port is ignored', async () => {
    const port = await freeUdpPort()
    const lan = { interface: '127.0.0.1', port }
    const ours = await startLanAnnouncer({ ...lan, teamId: 'team', announce: () => announceOf('11'.repeat(32), ['127.0.0.1:7480']) })
    closers.push(() => ours.close())
    const theirs = await startLanAnnouncer({ ...lan, teamId: 'other', announce: () => announceOf('22'.repeat(32), ['127.0.0.1:7481']) })
    closers.push(() => theirs.close())
    const noise = createSocket('udp4')
    closers.push(() => noise.close())
    noise.send(Buffer.from('not json'), port, '127.0.0.1')
    noise.send(Buffer.from(JSON.stringify({ p: 'gas-lan-1', query: 'team', announce: 'x'.repeat(5000) })), port, '127.0.0.1')
    const heard: DirectAnnounce[] = []
    const query = await queryLan({ ...lan, teamId: 'team', onAnnounce: (a) => heard.push(a) })
    closers.push(() => query.close())
    await expect.poll(() => heard.length).toBeGreaterThan(0)
    expect(heard.every((a) => a.peerId === '11'.repeat(32))).toBe(true)
  })

  it('gas serve and gas sync find each other with no tracker and no address; a forged announce is never dialed', async () => {
    const [ana, bo] = await makeTeam([tmp(), tmp()], ['ana', 'bo'], 'ws://127.0.0.1:1')
    const port = await freeUdpPort()
    for (const ws of [ana, bo]) {
      ws.config = { ...ws.config, trackers: [] }
      await ws.saveConfig()
    }
    await writeRandomFile(join(ana.root, 'level.pak'), 2 * 1024 * 1024, 'lan')
    await gas.add(ana, { paths: [ana.root] })
    await gas.commit(ana, { message: 'level' })
    await ana.close()
    await bo.close()
    for (const ws of [ana, bo]) {
      const r = await gasAsync(ws.root, ['team', 'lan', 'on', '--interface', '127.0.0.1', '--port', String(port), '--json'])
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toEqual({ lan: { interface: '127.0.0.1', port } })
    }
    // a forger on the LAN: its announce names a trap, signed by nobody
    let trapped = 0
    const trap = createServer((s) => { trapped++; s.destroy() })
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve))
    closers.push(() => trap.close())
    const forged = { ...announceOf('33'.repeat(32), [`127.0.0.1:${(trap.address() as { port: number }).port}`]), teamId: ana.config.team!.id }
    const forger = await startLanAnnouncer({ interface: '127.0.0.1', port, teamId: ana.config.team!.id, announce: () => forged })
    closers.push(() => forger.close())

    const serve: ChildProcess = gasSpawn(ana.root, ['serve', '--listen', '127.0.0.1:0'])
    closers.push(async () => await stopProcess(serve))
    let said = ''
    serve.stderr?.setEncoding('utf8').on('data', (t: string) => { said += t })
    while (!said.includes('listening')) await Promise.race([once(serve.stderr!, 'data'), once(serve, 'exit').then(() => { throw new Error(said) })])
    const r = await gasAsync(bo.root, ['sync', '--once', '--json'])
    expect(r.status, r.stderr).toBe(0)
    const json = JSON.parse(r.stdout)
    expect(json.routes.map((x: { transport: string }) => x.transport)).toEqual(['tcp'])
    expect(readFileSync(join(bo.root, 'level.pak')).equals(readFileSync(join(ana.root, 'level.pak')))).toBe(true)
    expect(trapped).toBe(0)

    const off = await gasAsync(bo.root, ['team', 'lan', 'off', '--json'])
    expect(JSON.parse(off.stdout)).toEqual({ lan: null })
    const bad = await gasAsync(bo.root, ['team', 'lan', 'maybe'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/E_BAD_ARGUMENT: gas team lan takes on or off/)
  }, 90_000)

  it('nobody answers on the LAN and no tracker: gas sync says no peer (E_NO_PEERS), not the socket closed twice', async () => {
    const [bo] = await makeTeam([tmp()], ['bo'], 'ws://127.0.0.1:1')
    bo.config = { ...bo.config, trackers: [] }
    await bo.saveConfig()
    await bo.close()
    const port = await freeUdpPort()
    expect((await gasAsync(bo.root, ['team', 'lan', 'on', '--interface', '127.0.0.1', '--port', String(port)])).status).toBe(0)
    const r = await gasAsync(bo.root, ['sync', '--once'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^gas: E_NO_PEERS: /m)
    const query = await queryLan({ interface: '127.0.0.1', port, teamId: 'team', onAnnounce: () => {} })
    query.close()
    query.close()
  }, 60_000)
})
