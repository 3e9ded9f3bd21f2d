import { randomBytes } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cliTeam, gasOk, startGasTracker, startServe, stopGas, syncUntilPeer, type GasCommand } from '../helpers/cli-team.js'
import { NetLab, coturnListening, leftoverNamespaces, netnsUnavailable, turnserverPath } from './netns-lab.js'

/*
 * The direct path across "machines" with real `gas` processes, as a new member meets it (netns.test.ts
 * keeps it off to test WebRTC's routes): a member behind a home NAT reaches a studio's serve on a public
 * address over TCP; a serve that is itself behind a NAT is reached over WebRTC (STUN); two members on one
 * home LAN find each other by LAN discovery with the tracker down; and `gas sync --json` says which
 * transport carried each peer, by member name.
 */

const GAS_BIN = resolve('bin/gas')
const unavailable = netnsUnavailable() ?? (turnserverPath() === undefined ? 'coturn is not installed (.ci/run installs it)' : undefined)

const labs: NetLab[] = []
const children: ChildProcess[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const c of children.splice(0)) await stopGas(c)
  for (const l of labs.splice(0)) {
    l.destroy()
    expect(leftoverNamespaces(l.prefix)).toEqual([])
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const gasIn = (l: NetLab, ns: string): GasCommand => () => [...l.prefixFor(ns), process.execPath, GAS_BIN]

/** pub: 198.51.100.1 (tracker, STUN, the studio); home1: a NAT with a LAN of two (10.1.0.2, .3); home2: a NAT with one (10.2.0.2). */
function topology (l: NetLab): void {
  l.addMachine('pub')
  l.addSwitch('pub', '198.51.100.1/24')
  for (const n of [1, 2]) {
    l.addMachine(`nat${n}`)
    l.plug(`nat${n}`, 'pub', `p${n}`, `198.51.100.1${n}/24`)
    l.addSwitch(`nat${n}`, `10.${n}.0.1/24`)
    l.nat(`nat${n}`, 'eth0')
  }
  for (const [m, sw, port, ip] of [['m1', 'nat1', 'l2', '10.1.0.2'], ['m1b', 'nat1', 'l3', '10.1.0.3'], ['m2', 'nat2', 'l2', '10.2.0.2']]) {
    l.addMachine(m)
    l.plug(m, sw, port, `${ip}/24`)
    l.defaultRoute(m, ip.replace(/\d+$/, '1'))
  }
}

async function stun (l: NetLab): Promise<void> {
  const child = spawn(l.prefixFor('pub')[0], [...l.prefixFor('pub').slice(1), turnserverPath() as string, '-n', '--listening-ip=198.51.100.1',
    '--listening-port=3478', '--stun-only', '--no-cli', '--log-file=stdout', '--simple-log'], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  await coturnListening(child)
}

async function synced (cmd: GasCommand, dir: string, bytes: Buffer): Promise<{ transport: string, type: string, member?: string, remote: string }> {
  const r = await syncUntilPeer(cmd, dir)
  expect(r.status, r.stderr).toBe(0)
  expect(readFileSync(join(dir, 'level.bin')).equals(bytes)).toBe(true)
  expect(r.json.routes).toHaveLength(1)
  return r.json.routes[0]
}

describe.skipIf(unavailable !== undefined)(`the direct path across network namespaces${unavailable !== undefined ? ` (skipped: ${unavailable})` : ''}`, () => {
  it('TCP out of a NAT to a public serve; WebRTC (STUN) to a serve behind a NAT; LAN discovery on a home LAN with the tracker down', async () => {
    const l = new NetLab()
    labs.push(l)
    topology(l)
    await stun(l)
    const root = mkdtempSync(join(tmpdir(), 'gas-test-'))
    dirs.push(root)
    const tracker = await startGasTracker(gasIn(l, 'pub'), root, ['--host', '198.51.100.1', '--port', '8000'])
    children.push(tracker.child)
    const cmds = [gasIn(l, 'pub'), gasIn(l, 'm1'), gasIn(l, 'm2'), gasIn(l, 'm1b')]
    const [ana, bo, cy, dan] = await cliTeam(root, ['ana', 'bo', 'cy', 'dan'], cmds, [tracker.printed.url], ['stun:198.51.100.1:3478'])
    const bytes = randomBytes(3 * 1024 * 1024)
    writeFileSync(join(ana, 'level.bin'), bytes)
    await gasOk(cmds[0], ana, ['add', 'level.bin'])
    await gasOk(cmds[0], ana, ['commit', '-m', 'level'])

    // bo, behind home1's NAT, dials the studio's public address that the serve announced
    const anaServe = await startServe(cmds[0], ana, {}, [], 'announced to')
    children.push(anaServe)
    expect(await synced(cmds[1], bo, bytes)).toMatchObject({ transport: 'tcp', type: 'direct', member: 'ana', remote: expect.stringMatching(/^198\.51\.100\.1:\d+$/) })
    await stopGas(anaServe)

    // cy, behind home2's NAT, cannot dial bo's private address: WebRTC through the NATs (STUN) carries it
    await gasOk(cmds[1], bo, ['team', 'lan', 'on'])
    const boServe = await startServe(cmds[1], bo, {}, [], 'announced to')
    children.push(boServe)
    expect(await synced(cmds[2], cy, bytes)).toMatchObject({ transport: 'webrtc', type: 'srflx', member: 'bo' })

    // dan, on bo's LAN, with the tracker gone: LAN discovery finds bo, over TCP
    await stopGas(tracker.child)
    await gasOk(cmds[3], dan, ['team', 'lan', 'on'])
    expect(await synced(cmds[3], dan, bytes)).toMatchObject({ transport: 'tcp', type: 'direct', member: 'bo', remote: expect.stringMatching(/^10\.1\.0\.2:\d+$/) })
  }, 240_000)
})
