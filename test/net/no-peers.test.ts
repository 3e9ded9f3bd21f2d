import { createServer, type Server } from 'node:http'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { peerSecurity } from '../../src/auth/peer-security.js'
import { isGasError } from '../../src/errors.js'
import { servePeers, syncWithPeers } from '../../src/peer/sync/peer-node.js'
import { diagnoseTracker, type TrackerReport } from '../../src/peer/discovery/tracker-report.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { gasInProcess } from '../helpers/cli.js'
import { FIRST_PEER_WAIT_MS } from '../../src/peer/sync/connect-peers.js'
import { useTmp } from '../helpers/tmp.js'
import { freePort, startGas } from './processes.js'

const tmp = useTmp()
/** short waits: every case here fails by design, the tracker answers (or not) in milliseconds */
const quick = { firstPeerWaitMs: 800, countedPeersWaitMs: 3_000 }

let tracker: RunningTracker
let notATracker: Server
beforeAll(async () => {
  tracker = await startTracker({ port: 0, host: '127.0.0.1' })
  notATracker = createServer((_req, res) => { res.statusCode = 404; res.end('not here') })
  await new Promise<void>((resolve) => notATracker.listen(0, '127.0.0.1', resolve))
})
afterAll(async () => {
  await tracker.close()
  await new Promise<void>((resolve) => notATracker.close(() => resolve()))
})

async function pair (): Promise<[gas.Workspace, gas.Workspace]> {
  const lead = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
  const bo = await gas.init({ dir: tmp(), name: 'bo' })
  // a lead fetches all content (the artist preset would leave .txt and .bin files out)
  await joinTeam(bo, JSON.stringify(await createInvite(lead, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['lead'] })))
  return [lead, bo]
}

async function noPeers (ws: gas.Workspace, trackers: string[], waits: Partial<typeof quick> = {}): Promise<{ message: string, trackers: TrackerReport[], ownProcesses: number }> {
  try {
    await syncWithPeers({ ws, trackers, security: peerSecurity(ws), ...quick, ...waits })
  } catch (err) {
    if (!isGasError(err, 'E_NO_PEERS')) throw err
    return { message: err.message, trackers: err.data.trackers as TrackerReport[], ownProcesses: err.data.ownProcesses as number }
  }
  throw new Error('the sync found a peer')
}

describe('E_NO_PEERS says which trackers were tried and what they answered', () => {
  it('a tracker nobody listens on is unreachable; a URL answered by something else, or an unknown host, is a wrong URL', async () => {
    const [, bo] = await pair()
    const closedPort = `ws://127.0.0.1:${await freePort()}`
    const httpOnly = `ws://127.0.0.1:${(notATracker.address() as { port: number }).port}/announce`
    const out = await noPeers(bo, [closedPort, httpOnly, 'ws://no-such-host.invalid:8000'])
    expect(out.trackers.map((t) => [t.tracker, t.answer])).toEqual([[closedPort, 'unreachable'], [httpOnly, 'wrong-url'], ['ws://no-such-host.invalid:8000', 'wrong-url']])
    expect(out.trackers[0].detail).toMatch(/connection refused/)
    expect(out.trackers[1].detail).toMatch(/HTTP 404/)
    expect(out.trackers[2].detail).toMatch(/not found/)
    expect(out.message).toContain(closedPort)
    expect(out.message).toMatch(/start the tracker/)
  })

  it('a tracker with no other member in the swarm says so', async () => {
    const [, bo] = await pair()
    const out = await noPeers(bo, [tracker.url])
    expect(out.trackers).toEqual([expect.objectContaining({ tracker: tracker.url, answer: 'no-other-peer', peers: 0 })])
    expect(out.message).toMatch(/gas serve/)
  })

  it('peers the tracker counts but that never answer (a hung `gas serve`) are reported offline', async () => {
    const [ana, bo] = await pair()
    ana.config = { ...ana.config, trackers: [tracker.url] }
    await ana.saveConfig()
    const serve = startGas(ana.root, ['serve'])
    try {
      await serve.waitFor(/serving/)
      // it is in the swarm once a sync finds it
      expect((await syncWithPeers({ ws: bo, trackers: [tracker.url], security: peerSecurity(bo) })).peers).toBe(1)
      serve.child.kill('SIGSTOP')
      const out = await noPeers(bo, [tracker.url])
      expect(out.trackers).toEqual([expect.objectContaining({ answer: 'peers-offline', peers: 1 })])
      expect(out.message).toMatch(/counts 1 other peer\(s\) but none connected/)
    } finally {
      serve.child.kill('SIGCONT')
      await serve.stop()
    }
  })

  it('an outsider whose every peer refused its membership is told that, not to start a `gas serve`', async () => {
    const [ana] = await pair()
    const eve = await gas.init({ dir: tmp(), name: 'eve' })
    // the team written into eve's config by hand, with no certificate: her side has no proof to give
    eve.config = { ...eve.config, team: ana.config.team }
    const stop = new AbortController()
    const serving = servePeers({ ws: ana, trackers: [tracker.url], security: peerSecurity(ana), signal: stop.signal })
    try {
      const started = Date.now()
      const out = await noPeers(eve, [tracker.url])
      expect(out.message).toMatch(/E_AUTH: .*no certificate of team orcs/)
      expect(out.message).toMatch(/every peer that answered was refused over team membership: see the reason given for each \(ask a lead for an invite: `gas team add`, then `gas team join`\)$/)
      expect(out.message).not.toMatch(/start `gas serve`/)
      // the tracker's line does not call a peer that answered offline
      // (whether the serve's announce came before eve's answer or after, a race the test leaves open)
      expect(out.message).toMatch(/(counts 1 other peer\(s\)|counted no other peer, one announced since); 1 answered and the handshake was refused/)
      expect(out.message).not.toMatch(/none connected/)
      // a refusal is final: the sync does not wait out the counted peers' time
      expect(Date.now() - started).toBeLessThan(quick.countedPeersWaitMs)
    } finally {
      stop.abort()
      await serving
      await eve.close()
    }
  })

  it('a serve that announces after the outsider\'s tracker answer is still reported as answering and refusing, not as no peer', async () => {
    const [ana] = await pair()
    const eve = await gas.init({ dir: tmp(), name: 'eve' })
    eve.config = { ...eve.config, team: ana.config.team }
    const stop = new AbortController()
    // why a longer first-peer wait: the serve starts after eve's answer and must still reach her on a loaded machine
    const refused = noPeers(eve, [tracker.url], { firstPeerWaitMs: 3_000 })
    // eve's announce is answered first (no other peer), then the serve's offer reaches her
    await new Promise((resolve) => setTimeout(resolve, 300))
    const serving = servePeers({ ws: ana, trackers: [tracker.url], security: peerSecurity(ana), signal: stop.signal })
    try {
      const out = await refused
      expect(out.trackers).toEqual([expect.objectContaining({ answer: 'peers-offline', peers: 1 })])
      expect(out.message).toMatch(/counted no other peer, one announced since; 1 answered and the handshake was refused/)
      expect(out.message).not.toMatch(/start `gas serve`|is `gas serve` running/)
    } finally {
      stop.abort()
      await serving
      await eve.close()
    }
  })

  it('only this member\'s own `gas serve` answering is no peer: it is dropped after HELLO and not counted', async () => {
    const [, bo] = await pair()
    const stop = new AbortController()
    const serving = servePeers({ ws: bo, trackers: [tracker.url], security: peerSecurity(bo), signal: stop.signal })
    try {
      // a second workspace handle of the same member, as `gas sync` opens it beside `gas serve`
      const again = await gas.open({ dir: bo.root })
      const out = await noPeers(again, [tracker.url])
      expect(out.ownProcesses).toBe(1)
      // the tracker counts the serve; it answered, so the peer is not "offline, or no path"
      expect(out.trackers).toEqual([expect.objectContaining({ answer: 'no-other-peer', peers: 1 })])
      expect(out.message).toMatch(/the peer it counts is this member's own \(its `gas serve`\), which answered: no other member of the team is online/)
      expect(out.message).not.toMatch(/offline, or no WebRTC path/)
      await again.close()
    } finally {
      stop.abort()
      await serving
    }
  })

  it('`gas sync --once --json` prints its document and exits 1 with E_NO_PEERS on stderr', async () => {
    const [, bo] = await pair()
    const port = await freePort()
    const started = Date.now()
    const r = await gasInProcess(bo.root, ['sync', '--once', '--json', '--tracker', `ws://127.0.0.1:${port}`])
    // no tracker can be reached and no address was given: nothing to wait the first-peer wait (5 s) out for
    expect(Date.now() - started).toBeLessThan(FIRST_PEER_WAIT_MS - 1_000)
    expect(r.status).toBe(1)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({ complete: false, peers: 0, trackers: [{ tracker: `ws://127.0.0.1:${port}`, answer: 'unreachable' }], error: { code: 'E_NO_PEERS' } })
    expect(JSON.parse(r.stderr).error.code).toBe('E_NO_PEERS')
    const text = await gasInProcess(bo.root, ['sync', '--once', '--tracker', `ws://127.0.0.1:${port}`])
    expect(text.status).toBe(1)
    expect(text.stdout).toMatch(/unreachable \(connection refused/)
    expect(text.stderr).toMatch(/^gas: E_NO_PEERS: no peer to sync with: ws:\/\/127\.0\.0\.1:\d+: unreachable/)
  })

  it('`gas sync --once` alone in the swarm says so without waiting the first-peer wait out', async () => {
    const [, bo] = await pair()
    const started = performance.now()
    const r = await gasInProcess(bo.root, ['sync', '--once', '--tracker', tracker.url])
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/no-other-peer/)
    // the tracker answered that nobody else is there: ~1 s of grace, not FIRST_PEER_WAIT_MS
    expect(performance.now() - started).toBeLessThan(FIRST_PEER_WAIT_MS - 1_000)
  })

  it('diagnoses a URL that is not one, and a live tracker', async () => {
    expect(await diagnoseTracker('not a url')).toMatchObject({ answer: 'wrong-url' })
    expect(await diagnoseTracker(tracker.url)).toMatchObject({ answer: 'no-answer', detail: /accepts websocket/ })
  })
})

describe('an incomplete sync is not a success', () => {
  it('E_SYNC_INCOMPLETE names the missing objects, bytes, assets and the peers asked; --json still prints its document', async () => {
    const [ana, bo] = await pair()
    const cy = await gas.init({ dir: tmp(), name: 'cy' })
    await joinTeam(cy, JSON.stringify(await createInvite(ana, { publicKey: cy.identity.publicKey, name: 'cy', roles: ['qa'] })))
    writeFileSync(join(ana.root, 'rock.bin'), Buffer.alloc(300_000, 7))
    await gas.add(ana, { paths: [ana.root] })
    await gas.commit(ana, { message: 'rock' })
    await ana.store.flush()
    // cy takes the versions but no content from ana; then only cy is online
    const anaStop = new AbortController()
    const anaServing = servePeers({ ws: ana, trackers: [tracker.url], security: peerSecurity(ana), signal: anaStop.signal })
    const cySync = await syncWithPeers({ ws: cy, trackers: [tracker.url], security: peerSecurity(cy), wantContent: () => false })
    anaStop.abort()
    await anaServing
    expect(cySync).toMatchObject({ complete: true, peers: 1 })
    const stop = new AbortController()
    const serving = servePeers({ ws: cy, trackers: [tracker.url], security: peerSecurity(cy), signal: stop.signal })
    try {
      const r = await gasInProcess(bo.root, ['sync', '--once', '--json', '--tracker', tracker.url])
      expect(r.status).toBe(1)
      const doc = JSON.parse(r.stdout)
      expect(doc).toMatchObject({ complete: false, peers: 1, asked: ['cy'], missingPaths: ['rock.bin'], error: { code: 'E_SYNC_INCOMPLETE' } })
      expect(doc.missing).toBeGreaterThan(0)
      expect(doc.missingBytes).toBeGreaterThanOrEqual(300_000)
      expect(JSON.parse(r.stderr).error.message).toMatch(/\d+ object\(s\) \([\d.]+ [kMG]?B of content\) still missing, for rock\.bin; asked cy/)
      // text output: the incomplete line, and the typed error on stderr
      const text = await gasInProcess(bo.root, ['sync', '--once', '--tracker', tracker.url])
      expect(text.status).toBe(1)
      expect(text.stdout).toMatch(/incomplete: \d+ object\(s\) missing/)
      expect(text.stderr).toMatch(/^gas: E_SYNC_INCOMPLETE: sync incomplete/)
      // status does not call cy "up to date" by a view the incomplete sync never moved
      const status = await gasInProcess(bo.root, ['status'])
      const cyHead = await cy.refs.read('refs/heads/main')
      expect(status.stdout).toContain(`peer cy: their head ${cyHead!.slice(0, 12)} is not all here yet (the last sync with them did not complete: \`gas sync\`)`)
      expect(JSON.parse((await gasInProcess(bo.root, ['status', '--json'])).stdout).peers).toEqual([expect.objectContaining({ peer: 'cy', pending: cyHead })])
    } finally {
      stop.abort()
      await serving
    }
    // a complete sync with ana brings that head: nothing is pending any more, though cy was not asked again
    const anaAgain = new AbortController()
    const anaServingAgain = servePeers({ ws: ana, trackers: [tracker.url], security: peerSecurity(ana), signal: anaAgain.signal })
    try {
      expect(await syncWithPeers({ ws: bo, trackers: [tracker.url], security: peerSecurity(bo) })).toMatchObject({ complete: true })
    } finally {
      anaAgain.abort()
      await anaServingAgain
    }
    const after = await gasInProcess(bo.root, ['status'])
    expect(after.stdout).not.toContain('is not all here yet')
    expect(after.stdout).toContain('peer ana: up to date')
  })
})
