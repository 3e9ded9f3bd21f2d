/**
 * The peer half of `npm run demo`: an embedded tracker and three members on 127.0.0.1 syncing over
 * real WebRTC data channels — a new asset committed on one arrives on the others, verified.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as gas from '../src/index.js'
import { createInvite, joinTeam } from '../src/auth/invite.js'
import { signChallenge, verifyChallenge } from '../src/auth/handshake.js'
import { servePeers, syncWithPeers, type PeerSyncResult } from '../src/peer/peer-node.js'
import { startTracker } from '../src/peer/tracker.js'
import { makePng } from '../test/fixtures/textures.js'

const say = (text: string): void => { process.stdout.write(`${text}\n`) }
const security = (ws: gas.Workspace): { sign: (n: string) => string, verify: ReturnType<typeof verifyChallenge> } =>
  ({ sign: signChallenge(ws.identity), verify: verifyChallenge(ws.config.team?.id ?? null) })

function report (who: string, r: PeerSyncResult): void {
  say(`${who}: ${r.peers} peer(s), fetched ${r.fetched.objects} objects / ${r.fetched.bytes} bytes` +
    (r.perPeer.length > 1 ? ` (${r.perPeer.map((p) => `${p.name} ${p.bytesReceived}`).join(', ')})` : '') +
    (r.checkout !== null ? `; files written: ${r.checkout.written.join(', ')}` : ''))
}

export async function peerDemo (root: string, artistDir: string): Promise<void> {
  say('\n== 2. Peers on 127.0.0.1: embedded tracker, WebRTC data channels')
  const tracker = await startTracker({ port: 0, host: '127.0.0.1' })
  say(`tracker ${tracker.url}`)
  const ana = await gas.open({ dir: artistDir })
  ana.config = { ...ana.config, trackers: [tracker.url] }
  await ana.saveConfig()
  const members: Record<string, gas.Workspace> = {}
  for (const [name, role] of [['bo', 'sound'], ['cy', 'qa']] as const) {
    const dir = join(root, name)
    mkdirSync(dir)
    const ws = await gas.init({ dir, name })
    const invite = await createInvite(ana, { publicKey: ws.identity.publicKey, name, roles: [role] })
    await joinTeam(ws, JSON.stringify(invite))
    members[name] = ws
    say(`${name} joined team ${invite.team.name} as ${role} (certificate signed by the team root key)`)
  }
  const stops: AbortController[] = []
  const serve = (ws: gas.Workspace): Promise<void> => {
    const stop = new AbortController()
    stops.push(stop)
    return servePeers({ ws, trackers: [], security: security(ws), signal: stop.signal })
  }
  const serving = [serve(ana)]
  try {
    let t0 = Date.now()
    const boFirst = await syncWithPeers({ ws: members.bo, trackers: [], security: security(members.bo) })
    report(`bo synced in ${Date.now() - t0} ms`, boFirst)
    const same = readFileSync(join(root, 'bo', 'textures', 'rock_albedo.png')).equals(readFileSync(join(artistDir, 'textures', 'rock_albedo.png')))
    say(`bo's textures/rock_albedo.png identical to ana's: ${same}; fsck: ${(await gas.fsck(members.bo)).ok ? 'ok' : 'PROBLEMS'}`)

    serving.push(serve(members.bo))
    t0 = Date.now()
    const cyFirst = await syncWithPeers({ ws: members.cy, trackers: [], security: security(members.cy) })
    report(`cy synced from ana and bo at once in ${Date.now() - t0} ms`, cyFirst)

    say('ana paints a new decal and commits it')
    writeFileSync(join(artistDir, 'textures', 'decal.png'), await makePng({ width: 512, height: 512, seed: 9 }))
    await gas.add(ana, { paths: [join(artistDir, 'textures', 'decal.png')], tags: { stage: 'wip' } })
    const v = await gas.commit(ana, { message: 'Decal for the rock' })
    await ana.store.flush()
    t0 = Date.now()
    const cyAgain = await syncWithPeers({ ws: members.cy, trackers: [], security: security(members.cy) })
    report(`cy synced again in ${Date.now() - t0} ms`, cyAgain)
    const cyHead = await members.cy.head()
    say(`cy is at ${cyHead?.slice(0, 12)} (ana committed ${v.slice(0, 12)}); decal preview on cy: ${JSON.stringify((await gas.showPreview(members.cy, { target: 'textures/decal.png' })).info)}`)
  } finally {
    for (const stop of stops) stop.abort()
    await Promise.all(serving)
    for (const ws of [ana, ...Object.values(members)]) await ws.close()
    await tracker.close()
  }
}
