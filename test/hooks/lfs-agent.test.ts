import { createHash, randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { startTracker, type RunningTracker } from '../../src/peer/discovery/tracker.js'
import { useTmp } from '../helpers/tmp.js'
import { makeTeam, serve } from './git-env.js'

const tmp = useTmp()
let tracker: RunningTracker
beforeAll(async () => { tracker = await startTracker({ port: 0, host: '127.0.0.1' }) })
afterAll(async () => { await tracker.close() })

/** Runs the agent on `requests` (one JSON line each) and returns its answers, parsed. */
async function agent (ws: gas.Workspace, requests: unknown[], downloadDir?: string): Promise<{ answers: Array<Record<string, any>>, report: gas.lfs.LfsAgentReport }> {
  const input = new PassThrough()
  const output = new PassThrough()
  const chunks: Buffer[] = []
  output.on('data', (b: Buffer) => chunks.push(b))
  input.end(requests.map((r) => typeof r === 'string' ? `${r}\n` : `${JSON.stringify(r)}\n`).join(''))
  const report = await gas.lfs.runLfsAgent({ ws, input, output, trackers: [], security: gas.peerSecurity(ws), downloadDir, firstPeerWaitMs: 3000 })
  return { answers: Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)), report }
}

/** git-lfs's progress events for `oid`: cumulative, each saying what it added, ending at `size` */
function expectProgress (answers: any[], oid: string, size: number): void {
  const events = answers.filter((a) => a.event === 'progress' && a.oid === oid)
  expect(events.length).toBeGreaterThan(0)
  let sofar = 0
  for (const e of events) {
    expect(e.bytesSinceLast).toBeGreaterThan(0)
    expect(e.bytesSoFar).toBe(sofar + e.bytesSinceLast)
    sofar = e.bytesSoFar
  }
  expect(sofar).toBe(size)
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex')

describe('gas lfs-agent: git-lfs\'s custom transfer protocol', () => {
  it('uploads into the store, downloads from it or through the peers, and answers every bad request in git-lfs\'s error format', async () => {
    const root = tmp()
    const [ana, bo] = await makeTeam({ lead: join(root, 'ana'), members: [join(root, 'bo')] }, tracker.url)
    try {
      const content = randomBytes(700_000)
      const oid = sha256(content)
      const file = join(root, 'upload.bin')
      writeFileSync(file, content)
      const up = await agent(ana, [
        { event: 'init', operation: 'upload', remote: 'origin', concurrent: false, concurrenttransfers: 1 },
        { event: 'upload', oid, size: content.length, path: file },
        { event: 'upload', oid: 'cd'.repeat(32), size: content.length, path: file },
        { event: 'upload', oid, size: content.length },
        { event: 'upload', oid: 'nope', size: 1, path: file },
        'this is not json',
        { event: 'dance' },
        { event: 'download', oid, size: content.length },
        { event: 'terminate' },
        { event: 'upload', oid, size: content.length, path: file }
      ], root)
      const [init, progress, complete, wrongOid, noPath, badOid, notJson, unknown, ...rest] = up.answers
      const download = rest.find((a) => a.event === 'complete')
      const after = rest.filter((a) => a.event !== 'progress').slice(1)
      expect(init).toEqual({})
      expect(progress).toEqual({ event: 'progress', oid, bytesSoFar: content.length, bytesSinceLast: content.length })
      expect(complete).toEqual({ event: 'complete', oid })
      expect(wrongOid).toMatchObject({ event: 'complete', oid: 'cd'.repeat(32), error: { code: 500, message: expect.stringContaining('E_CORRUPT_OBJECT') } })
      expect(noPath.error.message).toContain('names no path')
      expect(badOid.error).toMatchObject({ code: 500, message: expect.stringContaining('not a Git LFS oid') })
      expect(notJson.error).toMatchObject({ code: 400, message: expect.stringContaining('not a JSON request') })
      expect(unknown.error.message).toContain('unknown event "dance"')
      expectProgress(rest, oid, content.length)
      expect(readFileSync(download.path).equals(content)).toBe(true)
      // nothing is read after terminate
      expect(after).toEqual([])
      expect(up.report).toEqual({ uploaded: 1, downloaded: 1, failed: 3, fetchedBytes: 0, fetchSeconds: 0 })
      expect(await ana.refs.read(gas.lfs.lfsRefName(oid))).toMatch(/^[0-9a-f]{64}$/)

      // bo has nothing: the object comes from ana, verified; an oid nobody has names who was asked
      const stop = serve(ana)
      try {
        // a plain sync does not download LFS content, nor adopt the refs/lfs names
        let synced = await gas.sync({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
        // why: on a loaded machine a join right after another one sometimes meets nobody (see peer-link.ts)
        for (let i = 0; i < 2 && synced.peers === 0; i++) synced = await gas.sync({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
        expect(synced.peers).toBe(1)
        expect(await bo.refs.list('refs/lfs/')).toEqual([])
        expect(await bo.store.has(await ana.refs.read(gas.lfs.lfsRefName(oid)) ?? '')).toBe(false)
        const missing = 'ef'.repeat(32)
        const down = await agent(bo, [
          { event: 'init', operation: 'download', remote: 'origin', concurrent: false, concurrenttransfers: 1 },
          { event: 'download', oid, size: content.length },
          { event: 'download', oid: missing, size: 10 },
          { event: 'terminate' }
        ])
        expectProgress(down.answers, oid, content.length)
        const answers = down.answers.filter((a) => a.event !== 'progress')
        expect(answers[1].path, JSON.stringify(down.answers)).toBeDefined()
        expect(readFileSync(answers[1].path).equals(content)).toBe(true)
        expect(answers[2]).toEqual({ event: 'complete', oid: missing, error: { code: 404, message: `gas: E_NOT_FOUND: LFS object ${missing} (10 bytes) is not in this workspace and no reachable peer has it (asked: ana); the member who holds it must be online (\`gas serve\`)` } })
        expect(down.report.downloaded).toBe(1)
        expect(down.report.fetchedBytes).toBeGreaterThan(content.length * 0.9)
        // bo now holds it and advertises it too
        expect(await gas.lfs.localLfsManifest(bo, oid)).toBeDefined()
      } finally {
        await stop()
      }
    } finally {
      await ana.close()
      await bo.close()
    }
  }, 60_000)

  it('a holder whose handshake outlasts the wait is found by a second look, with every peer the tracker counts', async () => {
    const root = tmp()
    const [ana, bo, carl] = await makeTeam({ lead: join(root, 'ana'), members: [join(root, 'bo'), join(root, 'carl')] }, tracker.url)
    const content = randomBytes(300_000)
    const oid = sha256(content)
    const file = join(root, 'theme.wav')
    writeFileSync(file, content)
    await gas.lfs.storeLfsObject(ana, { path: file })
    // ana is slow to sign her HELLO (a loaded machine) until bo's first wait is over; carl, who lacks the object, is quick
    let slow = false
    const security = gas.peerSecurity(ana)
    const sign = security.sign
    security.sign = async (...args) => {
      while (slow) await new Promise((resolve) => setTimeout(resolve, 50))
      return await sign(...args)
    }
    const controller = new AbortController()
    const serving = gas.servePeers({ ws: ana, trackers: [], security, signal: controller.signal })
    const stopCarl = serve(carl)
    try {
      // both serves in the swarm, so the tracker counts them (a plain sync fetches no LFS content)
      let synced = await gas.sync({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
      for (let i = 0; i < 5 && synced.peers < 2; i++) synced = await gas.sync({ ws: bo, trackers: [], security: gas.peerSecurity(bo) })
      expect(synced.peers).toBe(2)
      expect(await bo.refs.list('refs/lfs/')).toEqual([])
      slow = true
      const input = new PassThrough()
      const output = new PassThrough()
      let text = ''
      output.on('data', (b: Buffer) => { text += b.toString('utf8') })
      input.end(`${JSON.stringify({ event: 'download', oid, size: content.length })}\n${JSON.stringify({ event: 'terminate' })}\n`)
      const phases: string[] = []
      const report = await gas.lfs.runLfsAgent({
        ws: bo,
        input,
        output,
        trackers: [],
        security: gas.peerSecurity(bo),
        downloadDir: root,
        // the first wait ends as soon as one peer is in
        firstPeerWaitMs: 200,
        morePeersWaitMs: 0,
        phase: (phase) => {
          phases.push(phase)
          if (phase.includes(' connected (')) slow = false
        }
      })
      const answers = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))
      const done = answers.find((a) => a.event === 'complete')
      expect(done.error, JSON.stringify(phases)).toBeUndefined()
      expect(readFileSync(done.path).equals(content)).toBe(true)
      expect(report.downloaded).toBe(1)
      expect(phases.some((p) => p.includes('looking again'))).toBe(true)
    } finally {
      slow = false
      controller.abort()
      await serving
      await stopCarl()
      await ana.close()
      await bo.close()
      await carl.close()
    }
  }, 60_000)

  it('outside a workspace, answers git-lfs\'s init with the reason', async () => {
    const input = new PassThrough()
    const output = new PassThrough()
    let text = ''
    output.on('data', (b: Buffer) => { text += b.toString('utf8') })
    input.end('{"event":"init","operation":"download"}\n')
    await expect(gas.lfs.serveLfsAgent({ cwd: tmp(), input, output, env: { ...process.env, GAS_WORKSPACE: '' } })).rejects.toMatchObject({ code: 'E_NOT_A_WORKSPACE' })
    expect(JSON.parse(text)).toEqual({ error: { code: 500, message: expect.stringContaining('gas: E_NOT_A_WORKSPACE: not inside a gas workspace') } })
  })

  it('with no tracker, a download says no peer could be asked', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'solo' })
    try {
      const { answers } = await agent(ws, [{ event: 'download', oid: '12'.repeat(32), size: 5 }])
      expect(answers[0].error.message).toMatch(/no peer could be asked: no tracker/)
      expect(() => gas.lfs.lfsRefName('XYZ')).toThrow(/not a Git LFS oid/)
    } finally {
      await ws.close()
    }
  })
})
