import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import type { Workspace } from '../../src/repo/workspace.js'
import { makeWav } from '../fixtures/audio.js'
import { makeObj } from '../fixtures/models.js'
import { makePng } from '../fixtures/textures.js'
import { gasInProcess } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'

/**
 * The critical scenario of selective sync, over real WebRTC on 127.0.0.1: an artist commits
 * textures, a model and audio; the artist and the lead hold the content, the programmer only
 * version records and previews (and can look at the previews), the sound designer the audio only.
 */

const tmp = useTmp()
let tracker: gas.RunningTracker
beforeAll(async () => { tracker = await gas.startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

async function member (lead: Workspace, name: string, roles: string[]): Promise<Workspace> {
  const ws = await gas.init({ dir: tmp(), name })
  await gas.joinTeam(ws, JSON.stringify(await gas.createInvite(lead, { publicKey: ws.identity.publicKey, name, roles })))
  return ws
}

/** `gas sync --once` as the CLI runs it: the workspace's policy in; the rules the sync brings are taken up by the sync itself. */
async function syncAsCli (ws: Workspace): Promise<gas.PeerSyncResult & { notices: Array<string | null> }> {
  const selective = await gas.selectiveSyncOptions(ws)
  // why: a loaded machine can take more than the default 5 s for a WebRTC handshake; the wait ends at the first peer
  const result = await gas.sync({ ws, trackers: [], security: gas.peerSecurity(ws), ...selective, firstPeerWaitMs: 60_000 })
  expect(result.peers).toBeGreaterThan(0)
  return { ...result, notices: [selective.notice, result.policyNotice] }
}

/** A 4×4 RGBA16F DDS (DX10 header): a real variant with no preview, only a reason. */
function halfFloatDds (): Buffer {
  const h = Buffer.alloc(148)
  h.write('DDS ', 0, 'latin1'); h.writeUInt32LE(124, 4); h.writeUInt32LE(0x1007, 8); h.writeUInt32LE(4, 12); h.writeUInt32LE(4, 16)
  h.writeUInt32LE(32, 76); h.writeUInt32LE(0x4, 80); h.write('DX10', 84, 'latin1')
  h.writeUInt32LE(10, 128); h.writeUInt32LE(3, 132); h.writeUInt32LE(1, 140)
  return Buffer.concat([h, Buffer.alloc(4 * 4 * 8)])
}

async function contentOf (ws: Workspace, path: string): Promise<boolean> {
  const listed = (await gas.listAssets(ws)).find((a) => a.path === path)
  if (listed === undefined) throw new Error(`${path} not tracked in ${ws.root}`)
  return listed.fetched
}

async function serve (ws: Workspace): Promise<() => Promise<void>> {
  const controller = new AbortController()
  const serving = gas.servePeers({ ws, trackers: [], security: gas.peerSecurity(ws), signal: controller.signal })
  return async () => { controller.abort(); await serving }
}

describe('selective sync over WebRTC: each role fetches what it needs', () => {
  it('artist, lead, programmer, sound designer; then gas fetch, gc, a rules change and a bad rules file', async () => {
    const lea = await gas.init({ dir: tmp(), name: 'lea', team: 'orcs' })
    lea.config = { ...lea.config, trackers: [tracker.url] }
    await lea.saveConfig()
    const ana = await member(lea, 'ana', ['artist'])
    const pat = await member(lea, 'pat', ['programmer'])
    const sam = await member(lea, 'sam', ['sound'])

    // the artist's commit: two textures, a model, a sound
    mkdirSync(join(ana.root, 'textures'))
    mkdirSync(join(ana.root, 'models'))
    mkdirSync(join(ana.root, 'audio'))
    mkdirSync(join(ana.root, 'src'))
    writeFileSync(join(ana.root, 'textures', 'rock.png'), await makePng({ width: 256, height: 256, seed: 1 }))
    writeFileSync(join(ana.root, 'textures', 'moss.png'), await makePng({ width: 256, height: 128, seed: 2 }))
    writeFileSync(join(ana.root, 'models', 'rock.obj'), makeObj('sphere').text)
    writeFileSync(join(ana.root, 'audio', 'rock-hit.wav'), makeWav({ seconds: 0.5, sampleRate: 22050, channels: 1, bitDepth: 16, signal: 'sine' }).bytes)
    writeFileSync(join(ana.root, 'src', 'Rock.cs'), 'class Rock {}\n')
    writeFileSync(join(ana.root, 'textures', 'sky.dds'), halfFloatDds())
    await gas.add(ana, { paths: [ana.root] })
    await gas.commit(ana, { message: 'rock: textures, model, sound' })
    const stopAna = await serve(ana)
    const art = ['textures/rock.png', 'textures/moss.png', 'models/rock.obj']
    try {
      const leaSync = await syncAsCli(lea)
      expect(leaSync.missing).toEqual([])
      for (const path of [...art, 'audio/rock-hit.wav', 'src/Rock.cs']) expect(await contentOf(lea, path)).toBe(true)

      const patSync = await syncAsCli(pat)
      expect(patSync.missing).toEqual([])
      expect(await pat.head()).toBe(await ana.head())
      for (const path of [...art, 'audio/rock-hit.wav']) {
        expect(await contentOf(pat, path)).toBe(false)
        expect(existsSync(join(pat.root, path))).toBe(false)
      }
      expect(readFileSync(join(pat.root, 'src', 'Rock.cs'), 'utf8')).toBe('class Rock {}\n')
      // the previews came: the programmer looks at the texture and the model without their content
      const rock = await gas.showPreview(pat, { target: 'textures/rock.png' })
      expect(rock.info).toMatchObject({ width: 256, height: 256 })
      expect((await gas.showPreview(pat, { target: 'models/rock.obj' })).kind).toBe('model')
      // a variant with nothing to show: its reason came with the preview, not the content (issue 17)
      expect(await contentOf(pat, 'textures/sky.dds')).toBe(false)
      await expect(gas.showPreview(pat, { target: 'textures/sky.dds' })).rejects.toMatchObject({ code: 'E_NO_PREVIEW', message: expect.stringMatching(/sky\.dds: no preview for this DDS format: rgba16f \(supported: /) })
      const artBytes = (await gas.listAssets(lea)).filter((a) => art.includes(a.path) || a.path.endsWith('.wav')).reduce((n, a) => n + a.size, 0)
      expect(patSync.fetched.bytes).toBeLessThan(artBytes)
      const listed = await gas.listAssets(pat)
      expect(listed.find((a) => a.path === 'textures/rock.png')).toMatchObject({ fetched: false, wanted: false, kind: 'texture' })
      expect(listed.find((a) => a.path === 'textures/rock.png')?.size).toBeGreaterThan(0)

      const samSync = await syncAsCli(sam)
      expect(samSync.missing).toEqual([])
      expect(await contentOf(sam, 'audio/rock-hit.wav')).toBe(true)
      for (const path of [...art, 'src/Rock.cs']) expect(await contentOf(sam, path)).toBe(false)
      expect(existsSync(join(sam.root, 'audio', 'rock-hit.wav'))).toBe(true)
      // sam stops wanting that sound; ana records a new take: its content does not come, and the old take's file goes
      await gas.addOverride(sam, { action: 'exclude', pattern: 'audio/rock-hit.wav' })
      writeFileSync(join(ana.root, 'audio', 'rock-hit.wav'), makeWav({ seconds: 0.7, sampleRate: 22050, channels: 1, bitDepth: 16, signal: 'square' }).bytes)
      await gas.add(ana, { paths: [join(ana.root, 'audio')] })
      await gas.commit(ana, { message: 'rock: second take' })
      await ana.store.flush()
      const take2 = await syncAsCli(sam)
      expect(take2.checkout?.skipped).toEqual([{ path: 'audio/rock-hit.wav', reason: 'content not here (selective sync)' }])
      expect(existsSync(join(sam.root, 'audio', 'rock-hit.wav'))).toBe(false)
      expect(await contentOf(sam, 'audio/rock-hit.wav')).toBe(false)

      // pat gets the second take's records and preview, not its content; then a sync with nothing new fetches nothing
      const take2ForPat = await syncAsCli(pat)
      expect(take2ForPat.fetched.objects).toBeGreaterThan(0)
      expect(await contentOf(pat, 'audio/rock-hit.wav')).toBe(false)
      const again = await syncAsCli(pat)
      expect(again.fetched.objects).toBe(0)

      // gas fetch: the programmer wants one texture now
      const plan = await gas.planFetch(pat, { paths: ['textures/rock.png'] })
      expect(plan.targets.map((t) => t.path)).toEqual(['textures/rock.png'])
      await gas.fetchFromPeers({ ws: pat, trackers: [], security: gas.peerSecurity(pat), roots: plan.roots, firstPeerWaitMs: 60_000 })
      expect(await gas.writeFetched(pat, plan)).toEqual({ written: ['textures/rock.png'], missing: [], skipped: [] })
      expect(readFileSync(join(pat.root, 'textures', 'rock.png'))).toEqual(readFileSync(join(ana.root, 'textures', 'rock.png')))
      // it stays through a sync…
      await syncAsCli(pat)
      expect(await contentOf(pat, 'textures/rock.png')).toBe(true)
      // …until gc, which drops it (pat did not author it) and its unedited workspace file
      const dropped = await gas.gc(pat)
      expect(dropped.paths).toContain('textures/rock.png')
      expect(dropped.dropped.bytes).toBeGreaterThan(0)
      await pat.close()
      const pat2 = await gas.open({ dir: pat.root })
      expect(await contentOf(pat2, 'textures/rock.png')).toBe(false)
      expect(existsSync(join(pat2.root, 'textures', 'rock.png'))).toBe(false)
      expect(await contentOf(pat2, 'src/Rock.cs')).toBe(true)
      expect((await gas.fsck(pat2)).ok).toBe(true)

      // the artist does not want audio, but authored it: gc keeps the team's copy
      const anaGc = await gas.gc(ana, { dryRun: true })
      expect(anaGc.keptAuthored).toEqual(['audio/rock-hit.wav', 'src/Rock.cs'])
      expect(anaGc.dropped.chunks).toBe(0)

      // the lead changes the team's rules: programmers get the textures folder; pat's next sync fetches it (it took two)
      writeFileSync(join(lea.root, '.gasrules'), '[role programmer]\ninclude textures/\n')
      await gas.add(lea, { paths: [join(lea.root, '.gasrules')] })
      await gas.commit(lea, { message: 'programmers see textures' })
      const stopLea = await serve(lea)
      try {
        const brought = await syncAsCli(pat2)
        expect(brought.notices).toEqual([null, null])
        expect((await gas.explainPath(pat2, { path: 'textures/moss.png' }))).toMatchObject({ wanted: true, rule: '.gasrules:2: include textures/ [role programmer]' })
        expect(await contentOf(pat2, 'textures/moss.png')).toBe(true)
        expect(readFileSync(join(pat2.root, 'textures', 'moss.png'))).toEqual(readFileSync(join(ana.root, 'textures', 'moss.png')))
        expect(brought.checkout?.written).toEqual(expect.arrayContaining(['.gasrules', 'textures/moss.png']))
        expect(brought.complete).toBe(true)
        expect(await contentOf(pat2, 'models/rock.obj')).toBe(false)

        // a bad rules file from a peer (committed without the CLI's check): the previous policy stays, said once
        writeFileSync(join(lea.root, '.gasrules'), '[role programmer]\ninclude textures/\nexclude kind:sprites\n')
        await gas.add(lea, { paths: [join(lea.root, '.gasrules')] })
        await gas.commit(lea, { message: 'oops' })
        const bad = await syncAsCli(pat2)
        expect(bad.notices[0]).toBeNull()
        expect(bad.notices[1]).toMatch(/^\.gasrules:3: unknown asset kind "sprites".*previous rules stay in force/)
        expect((await syncAsCli(pat2)).notices).toEqual([null, null])
        expect((await gas.explainPath(pat2, { path: 'textures/moss.png' })).rule).toBe('.gasrules:2: include textures/ [role programmer]')
      } finally {
        await stopLea()
      }
      await pat2.close()

      // the same as a user types it: gas restore of an unfetched asset and gas fetch of a folder go to the peers
      const restored = await gasInProcess(pat.root, ['restore', 'models/rock.obj', '--json'])
      expect(restored.stderr).toBe('')
      expect(readFileSync(join(pat.root, 'models', 'rock.obj'))).toEqual(readFileSync(join(ana.root, 'models', 'rock.obj')))
      const fetched = await gasInProcess(pat.root, ['fetch', 'audio', '--json'])
      expect(JSON.parse(fetched.stdout)).toMatchObject({ written: ['audio/rock-hit.wav'], missing: [], skipped: [] })
      expect(JSON.parse((await gasInProcess(pat.root, ['ls', 'audio', '--json'])).stdout)).toEqual({ assets: [{ path: 'audio/rock-hit.wav', kind: 'audio', size: expect.any(Number) as number, fetched: true, wanted: false }] })
    } finally {
      await stopAna()
    }
    for (const ws of [lea, ana, sam]) await ws.close()
  }, 600_000)
})
