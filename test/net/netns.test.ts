import { randomBytes } from 'node:crypto'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { describe, expect, it, type TestContext } from 'vitest'
import { cliTeam, gasOk, runGas, startGasTracker, startServe, stopGas, syncUntilPeer, type GasCommand } from '../helpers/cli-team.js'
import { NetLab, coturnListening, hasNetem, leftoverNamespaces, netnsUnavailable, turnserverPath } from './netns-lab.js'

/*
 * Members on different machines, each a network namespace running real `gas` processes
 * (`ip netns exec NS node bin/gas ...`): a LAN on a bridge, two NATs with the tracker and a STUN
 * server on a "public" network, symmetric NATs where only a TURN relay (coturn, started here)
 * gets through, and a rate-limited link. Each syncs a multi-chunk asset, which must arrive byte
 * for byte, and `gas sync --json` says which candidate type carried it.
 */

const GAS_BIN = resolve('bin/gas')
const unavailable = netnsUnavailable()

/**
 * What one test makes (labs, processes, folders), removed when that test ends: the tests run side
 * by side (why: the symmetric-NAT test waits out a failed sync, the others fit in that wait),
 * so nothing of one test may be cleaned up by another's end.
 */
interface Rig { lab: () => NetLab, tmp: () => string, keep: (child: ChildProcess) => ChildProcess }

function rig (ctx: TestContext): Rig {
  const labs: NetLab[] = []
  const children: ChildProcess[] = []
  const dirs: string[] = []
  ctx.onTestFinished(async () => {
    for (const c of children.splice(0)) await stopGas(c)
    for (const l of labs.splice(0)) {
      l.destroy()
      expect(leftoverNamespaces(l.prefix)).toEqual([])
    }
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  return {
    lab: () => { const l = new NetLab(); labs.push(l); return l },
    tmp: () => { const d = mkdtempSync(join(tmpdir(), 'gas-test-')); dirs.push(d); return d },
    keep: (child) => { children.push(child); return child }
  }
}

function gasIn (l: NetLab, ns: string): GasCommand {
  return () => [...l.prefixFor(ns), process.execPath, GAS_BIN]
}

/** A multi-chunk asset (random, so nothing dedups): 6 MiB. */
function asset (dir: string): Buffer {
  const bytes = randomBytes(6 * 1024 * 1024)
  writeFileSync(join(dir, 'level.bin'), bytes)
  return bytes
}

async function commitAsset (cmd: GasCommand, dir: string): Promise<Buffer> {
  const bytes = asset(dir)
  await gasOk(cmd, dir, ['add', 'level.bin'])
  await gasOk(cmd, dir, ['commit', '-m', 'level', '--json'])
  return bytes
}

/** `gas sync` in `dir` must fetch the asset byte for byte, over a route of `type`; then `gas restore` gives the same bytes. */
async function expectSynced (cmd: GasCommand, dir: string, bytes: Buffer, type: string): Promise<any> {
  const r = await syncUntilPeer(cmd, dir)
  expect(r.status, r.stderr).toBe(0)
  expect(r.json.peers).toBeGreaterThanOrEqual(1)
  expect(r.json.routes.map((x: { type: string }) => x.type)).toContain(type)
  expect(readFileSync(join(dir, 'level.bin')).equals(bytes)).toBe(true)
  await gasOk(cmd, dir, ['restore', 'level.bin', '--version', 'HEAD', '--out', join(dir, 'restored.bin')])
  expect(readFileSync(join(dir, 'restored.bin')).equals(bytes)).toBe(true)
  return r.json
}

async function tracker (r: Rig, l: NetLab, ns: string, host: string): Promise<{ url: string, urls: string[] }> {
  const t = await startGasTracker(gasIn(l, ns), r.tmp(), ['--host', host, '--port', '8000'])
  r.keep(t.child)
  return { url: t.printed.url, urls: t.printed.urls ?? [] }
}

async function serve (r: Rig, cmd: GasCommand, dir: string): Promise<ChildProcess> {
  // these tests are about WebRTC's routes (host, srflx, relay): the direct TCP path stays off.
  // why wait for the announce: 'serving' comes before the tracker knows this peer, and on a loaded
  // machine a sync started then is told of fewer peers than the test has started
  return r.keep(await startServe(cmd, dir, {}, ['--no-direct'], 'announced to'))
}

/**
 * The Internet of these tests: a "pub" machine on 198.51.100.1 (a documentation range) with a
 * switch; behind it one NAT router per member (198.51.100.1N on the outside, 10.N.0.1 inside)
 * and the member at 10.N.0.2. The private networks have no route to each other.
 */
function natTopology (l: NetLab, symmetric: boolean): void {
  l.addMachine('pub')
  l.addSwitch('pub', '198.51.100.1/24')
  for (const n of [1, 2]) {
    l.addMachine(`nat${n}`)
    l.addMachine(`m${n}`)
    l.plug(`nat${n}`, 'pub', `p${n}`, `198.51.100.1${n}/24`)
    l.cable(`nat${n}`, 'lan', `m${n}`, 'eth0')
    l.addr(`nat${n}`, 'lan', `10.${n}.0.1/24`)
    l.addr(`m${n}`, 'eth0', `10.${n}.0.2/24`)
    l.defaultRoute(`m${n}`, `10.${n}.0.1`)
    l.nat(`nat${n}`, 'eth0', { symmetric })
  }
}

/** coturn on pub: STUN and TURN on 198.51.100.1:3478, one long-term user. */
async function coturn (r: Rig, l: NetLab): Promise<void> {
  const bin = turnserverPath()
  if (bin === undefined) throw new Error('coturn is not installed (.ci/run installs it)')
  const child = spawn(l.prefixFor('pub')[0], [...l.prefixFor('pub').slice(1), bin, '-n', '--listening-ip=198.51.100.1', '--relay-ip=198.51.100.1',
    '--listening-port=3478', '--min-port=49152', '--max-port=49999', '--no-tls', '--no-dtls', '--no-cli', '--fingerprint', '--lt-cred-mech',
    '--user=gas:teamsecret', '--realm=gas', '--log-file=stdout', '--simple-log', ...(process.env.GAS_TEST_COTURN_LOG !== undefined ? ['-V'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] })
  r.keep(child)
  if (process.env.GAS_TEST_COTURN_LOG !== undefined) child.stdout?.on('data', (d: Buffer) => process.stderr.write(d))
  await coturnListening(child)
}

/** Two members' machines behind symmetric NATs, coturn and the tracker on pub, a team with STUN only (member i in m(i+1)). */
async function symmetricTeam (r: Rig, names: string[]): Promise<{ cmds: GasCommand[], ana: string, bo: string }> {
  const l = r.lab()
  natTopology(l, true)
  await coturn(r, l)
  const t = await tracker(r, l, 'pub', '198.51.100.1')
  const cmds = [gasIn(l, 'm1'), gasIn(l, 'm2')]
  const [ana, bo] = await cliTeam(r.tmp(), names, cmds, [t.url], ['stun:198.51.100.1:3478'])
  return { cmds, ana, bo }
}

describe.skipIf(unavailable !== undefined)(`peers in network namespaces${unavailable !== undefined ? ` (skipped: ${unavailable})` : ''}`, { concurrent: true }, () => {
  it('a LAN of three on a bridge: the tracker prints the URLs members use; host candidates carry the sync', async (ctx) => {
    const r = rig(ctx)
    const l = r.lab()
    l.addMachine('sw')
    l.addSwitch('sw')
    for (const n of [1, 2, 3]) {
      l.addMachine(`m${n}`)
      l.plug(`m${n}`, 'sw', `p${n}`, `10.77.0.${n}/24`)
    }
    const t = await tracker(r, l, 'm1', '0.0.0.0')
    expect(t.urls).toContain('ws://10.77.0.1:8000')
    expect(t.url).toBe('ws://10.77.0.1:8000') // reachable addresses first, loopback last
    const cmds = [1, 2, 3].map((n) => gasIn(l, `m${n}`))
    const [ana, bo, cy] = await cliTeam(r.tmp(), ['ana', 'bo', 'cy'], cmds, [t.url])
    const bytes = await commitAsset(cmds[0], ana)
    let anaServe = await serve(r, cmds[0], ana)
    const first = await expectSynced(cmds[1], bo, bytes, 'host')
    expect(first.asked).toEqual(['ana'])
    expect(first.routes[0].local).toMatch(/^(host|prflx) 10\.77\.0\.2:\d+\/udp$/)
    // cy gets the asset from bo, who got it over the LAN: ana is gone, so nothing else could give it.
    // why one serve at a time: a one-shot sync takes the peers whose handshakes end within its wait,
    // and on a loaded machine a second LAN handshake can take longer (that is a wait, not a route)
    const boServe = await serve(r, cmds[1], bo)
    await stopGas(anaServe)
    const third = await expectSynced(cmds[2], cy, bytes, 'host')
    expect(third.asked).toEqual(['bo'])
    expect(third.routes[0].remote).toMatch(/^(host|prflx) 10\.77\.0\.2:\d+\/udp$/)
    // and the third pair of the LAN: cy and ana
    anaServe = await serve(r, cmds[0], ana)
    await stopGas(boServe)
    const last = await expectSynced(cmds[2], cy, bytes, 'host')
    expect(last.asked).toEqual(['ana'])
    expect(last.routes[0].remote).toMatch(/^(host|prflx) 10\.77\.0\.1:\d+\/udp$/)
  }, 180_000)

  it('two members behind two NATs reach each other through STUN (server-reflexive candidates)', async (ctx) => {
    const r = rig(ctx)
    const l = r.lab()
    natTopology(l, false)
    await coturn(r, l)
    const t = await tracker(r, l, 'pub', '198.51.100.1')
    const cmds = [gasIn(l, 'm1'), gasIn(l, 'm2')]
    const [ana, bo] = await cliTeam(r.tmp(), ['ana', 'bo'], cmds, [t.url], ['stun:198.51.100.1:3478'])
    const bytes = await commitAsset(cmds[0], ana)
    await serve(r, cmds[0], ana)
    const json = await expectSynced(cmds[1], bo, bytes, 'srflx')
    // the NAT's outside address, learnt from STUN: 198.51.100.11 or .12
    expect(JSON.stringify(json.routes)).toMatch(/198\.51\.100\.1[12]:/)
  }, 180_000)

  // why two tests on two labs: the failed sync waits out its peer (about 30 s); the relay's part runs beside it
  it('symmetric NATs: STUN alone gives E_NO_ROUTE naming the candidates', async (ctx) => {
    const r = rig(ctx)
    const { cmds, ana, bo } = await symmetricTeam(r, ['ana', 'bo'])
    await commitAsset(cmds[0], ana)
    await serve(r, cmds[0], ana)
    const failed = await runGas(cmds[1], bo, ['sync', '--once', '--json'])
    expect(failed.status).toBe(1)
    expect(JSON.parse(failed.stderr).error.code).toBe('E_NO_ROUTE')
    expect(failed.stderr).toMatch(/ours host 10\.2\.0\.2:\d+\/udp/)
    expect(failed.stderr).toMatch(/srflx 198\.51\.100\.12:/)
    expect(failed.stderr).toContain('gas team ice')
  }, 240_000)

  it('symmetric NATs: the team\'s TURN relay gets through, for a member who got it from an invite', async (ctx) => {
    const r = rig(ctx)
    const { cmds, ana } = await symmetricTeam(r, ['ana'])
    const bytes = await commitAsset(cmds[0], ana)
    // the lead adds the relay; a new member in m2 gets stun and turn (with its secret) from the invite alone
    const added = await gasOk(cmds[0], ana, ['team', 'ice', 'turn:gas@198.51.100.1:3478', '--credential', 'teamsecret', '--json'])
    expect(added.ice).toEqual(['stun:198.51.100.1:3478', 'turn:gas@198.51.100.1:3478']) // never the secret
    const cy = join(r.tmp(), 'cy')
    mkdirSync(cy)
    await gasOk(cmds[1], cy, ['init', '--name', 'cy'])
    const me = await gasOk(cmds[1], cy, ['whoami', '--json'])
    await gasOk(cmds[0], ana, ['team', 'add', me.publicKey, '--name', 'cy', '--role', 'admin', '--out', join(cy, '..', 'cy.invite')])
    await gasOk(cmds[1], cy, ['team', 'join', join(cy, '..', 'cy.invite')])
    expect((await gasOk(cmds[1], cy, ['team', 'ice', '--json'])).ice).toEqual(added.ice)
    await serve(r, cmds[0], ana)
    await expectSynced(cmds[1], cy, bytes, 'relay')
    // the secret is in .gas/ice.json (owner-only), not in any version record
    const log = await gasOk(cmds[1], cy, ['log', '--json'])
    expect(JSON.stringify(log)).not.toContain('teamsecret')
  }, 240_000)

  it('a process that dies mid-test (an uncaught error, or SIGTERM in a bench) leaves no namespace behind', () => {
    const lib = pathToFileURL(resolve('dist/test/net/netns-lab.js')).href
    for (const [how, end] of [['throws', "throw new Error('a test failed mid-way')"], ['is stopped', "process.once('SIGTERM', () => process.exit(130)); process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 10_000)"]]) {
      const script = `import { NetLab, leftoverNamespaces } from ${JSON.stringify(lib)}
const l = new NetLab(); l.addMachine('a'); l.addMachine('b'); l.cable('a', 'eth0', 'b', 'eth0')
console.log(l.prefix, leftoverNamespaces(l.prefix).length); ${end}`
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })
      expect(r.status, how).not.toBe(0)
      const [prefix, made] = r.stdout.trim().split(' ')
      expect(Number(made), `${how}: ${r.stderr}`).toBe(2) // the namespaces existed while it ran
      expect(leftoverNamespaces(prefix), how).toEqual([])
    }
  })

  it('a rate-limited link (tc tbf; this kernel has no netem, latency and loss are the simulated link\'s tests) still delivers byte for byte', async (ctx) => {
    const r = rig(ctx)
    const l = r.lab()
    l.addMachine('m1')
    l.addMachine('m2')
    l.cable('m1', 'eth0', 'm2', 'eth0')
    l.addr('m1', 'eth0', '10.78.0.1/24')
    l.addr('m2', 'eth0', '10.78.0.2/24')
    if (!hasNetem(l, 'm1', 'eth0')) console.log('netem is not available in this kernel: rate limit only (tbf)')
    l.rateLimit('m1', 'eth0', 40)
    l.rateLimit('m2', 'eth0', 40)
    const t = await tracker(r, l, 'm1', '10.78.0.1')
    const cmds = [gasIn(l, 'm1'), gasIn(l, 'm2')]
    const [ana, bo] = await cliTeam(r.tmp(), ['ana', 'bo'], cmds, [t.url])
    const bytes = await commitAsset(cmds[0], ana)
    await serve(r, cmds[0], ana)
    const json = await expectSynced(cmds[1], bo, bytes, 'host')
    // 6 MiB through 40 Mbit/s takes at least ~1.2 s: the limit was in the path
    expect(json.seconds.fetch).toBeGreaterThan(1)
  }, 180_000)
})
