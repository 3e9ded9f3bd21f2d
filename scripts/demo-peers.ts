/**
 * The peer half of `npm run demo`: an embedded tracker and three members on 127.0.0.1 syncing over
 * real WebRTC data channels — a new asset committed on one arrives on the others, verified.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as gas from '../src/index.js'
import { makePng, makeTga } from '../test/fixtures/textures.js'
import { makeWav } from '../test/fixtures/audio.js'
import { step } from './demo-steps.js'

const say = (text: string): void => { process.stdout.write(`${text}\n`) }

/** The check of a sync step: complete, from at least one peer. */
function synced (r: gas.PeerSyncResult): string | null {
  if (r.peers === 0) return 'no peer'
  return r.complete ? null : `incomplete: ${r.incomplete?.message ?? `${r.missing.length} objects missing`}`
}

const same = (a: string, b: string): boolean => readFileSync(a).equals(readFileSync(b))

function report (who: string, r: gas.PeerSyncResult): void {
  say(`${who}: ${r.peers} peer(s), fetched ${r.fetched.objects} objects / ${r.fetched.bytes} bytes` +
    (r.perPeer.length > 1 ? ` (${r.perPeer.map((p) => `${p.name} ${p.bytesReceived}`).join(', ')})` : '') +
    (r.checkout !== null ? `; files written: ${r.checkout.written.join(', ')}` : ''))
}

export async function peerDemo (root: string, artistDir: string): Promise<void> {
  say('\n== 2. Peers on 127.0.0.1: embedded tracker, WebRTC data channels')
  const tracker = await step('the embedded tracker starts', async () => await gas.startTracker({ port: 0, host: '127.0.0.1' }))
  say(`tracker ${tracker.url}`)
  const ana = await gas.open({ dir: artistDir })
  ana.config = { ...ana.config, trackers: [tracker.url] }
  await ana.saveConfig()
  const members: Record<string, gas.Workspace> = {}
  for (const [name, role] of [['bo', 'sound'], ['cy', 'qa']] as const) {
    const dir = join(root, name)
    mkdirSync(dir)
    const ws = await gas.init({ dir, name })
    const invite = await gas.createInvite(ana, { publicKey: ws.identity.publicKey, name, roles: [role] })
    await gas.joinTeam(ws, JSON.stringify(invite))
    members[name] = ws
    say(`${name} joined team ${invite.team.name} as ${role} (certificate signed by the team root key)`)
  }
  const stops: AbortController[] = []
  const serving: Array<Promise<void>> = []
  /** starts a member's serve; resolves once its tracker connection is up */
  const serve = async (ws: gas.Workspace): Promise<void> => await new Promise<void>((resolve, reject) => {
    const stop = new AbortController()
    stops.push(stop)
    serving.push(gas.servePeers({ ws, trackers: [], security: gas.peerSecurity(ws), signal: stop.signal, onTracker: (s) => { if (s.state === 'up') resolve() } }).then(() => resolve(), reject))
  })
  const sync = async (ws: gas.Workspace): Promise<gas.PeerSyncResult> => await gas.sync({ ws, trackers: [], security: gas.peerSecurity(ws) })
  try {
    await step('ana serves', async () => await serve(ana))
    let t0 = Date.now()
    const boFirst = await step('bo syncs from ana', async () => await sync(members.bo), synced)
    report(`bo synced in ${Date.now() - t0} ms`, boFirst)
    await step('bo has ana\'s files, verified', async () => await gas.fsck(members.bo), (check) =>
      !check.ok ? 'fsck found problems' : !same(join(root, 'bo', 'textures', 'rock_albedo.png'), join(artistDir, 'textures', 'rock_albedo.png')) ? 'rock_albedo.png differs' : null)
    say('bo\'s textures/rock_albedo.png identical to ana\'s: true; fsck: ok')

    await step('bo serves', async () => await serve(members.bo))
    t0 = Date.now()
    const cyFirst = await step('cy syncs from the team', async () => await sync(members.cy), synced)
    report(`cy synced from ${cyFirst.perPeer.map((p) => p.name).join(' and ')} at once in ${Date.now() - t0} ms`, cyFirst)

    say('ana paints a new decal and commits it')
    writeFileSync(join(artistDir, 'textures', 'decal.png'), await makePng({ width: 512, height: 512, seed: 9 }))
    await gas.add(ana, { paths: [join(artistDir, 'textures', 'decal.png')], tags: { stage: 'wip' } })
    const v = await gas.commit(ana, { message: 'Decal for the rock' })
    await ana.store.flush()
    t0 = Date.now()
    const cyAgain = await step('cy syncs ana\'s new decal', async () => await sync(members.cy), synced)
    report(`cy synced again in ${Date.now() - t0} ms`, cyAgain)
    const cyHead = await step('cy is at ana\'s version', async () => await members.cy.head(), (head) => head === v ? null : `cy is at ${head ?? 'nothing'}, ana committed ${v}`)
    say(`cy is at ${cyHead?.slice(0, 12)} (ana committed ${v.slice(0, 12)}); decal preview on cy: ${JSON.stringify((await gas.showPreview(members.cy, { target: 'textures/decal.png' })).info)}`)

    say('bo and cy work at the same time: bo retunes the impact sound, cy tags and re-exports the normal map')
    writeFileSync(join(root, 'bo', 'audio', 'impact.wav'), makeWav({ seconds: 1, sampleRate: 48000, channels: 2, bitDepth: 16 }).bytes)
    await gas.add(members.bo, { paths: [join(root, 'bo', 'audio')] })
    await gas.commit(members.bo, { message: 'Shorter impact' })
    await members.bo.store.flush()
    writeFileSync(join(root, 'cy', 'textures', 'rock_normal.tga'), makeTga({ width: 256, height: 256, seed: 5 }))
    await gas.add(members.cy, { paths: [join(root, 'cy', 'textures')], tags: { qa: 'checked' } })
    await gas.commit(members.cy, { message: 'Smaller normal map' })
    const merged = await step('cy syncs and merges bo\'s change', async () => await sync(members.cy), (r) =>
      synced(r) ?? (r.merge?.version === undefined || r.merge.version === null ? `not merged: ${r.merge?.error ?? 'no diverged branch seen (bo\'s commit did not arrive)'}` : null))
    say(`cy synced: histories diverged, merged as ${merged.merge?.version?.slice(0, 12) ?? 'nothing'} with ${merged.merge?.conflicts.length ?? 0} conflicts; ` +
      `cy now has bo's impact.wav (${readFileSync(join(root, 'cy', 'audio', 'impact.wav')).length} bytes) and its own normal map`)
    say(`cy's log: ${(await gas.log(members.cy, { limit: 4 })).map((v) => v.message).join(' ← ')}`)
  } finally {
    for (const stop of stops) stop.abort()
    await Promise.all(serving)
    for (const ws of [ana, ...Object.values(members)]) await ws.close()
    await tracker.close()
  }
}
