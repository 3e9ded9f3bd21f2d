import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { tmpdir } from 'node:os'
import { GasError } from '../errors.js'
import type { Workspace } from '../repo/workspace.js'
import { isLfsOid, lfsDownloadPath, lfsRefName, localLfsManifest, readManifest, recordLfsRef, storeLfsObject, writeLfsObject } from './lfs-store.js'
import { LfsAssembly } from './lfs-content.js'
import { notOnPeers, PeerLink, type PeerLinkOptions } from './peer-link.js'
import { phaseLog, type PhaseLog } from './phase-log.js'

/**
 * `gas lfs-agent`: a Git LFS standalone custom transfer agent. git-lfs writes one JSON request
 * per line on stdin and reads one JSON answer per line on stdout:
 *   {"event":"init","operation":"download"|"upload",...}   → {}  or {"error":{code,message}}
 *   {"event":"upload","oid","size","path"}                  → progress…, {"event":"complete","oid"}
 *   {"event":"download","oid","size"}                       → progress…, {"event":"complete","oid","path"}
 *   {"event":"terminate"}                                   → (no answer; exit)
 * A failed transfer answers {"event":"complete","oid","error":{code,message}}: git-lfs prints the
 * message and goes on with the other objects.
 */

/** git-lfs's error codes are free-form integers; these follow HTTP's meanings, which its docs use in examples */
const LFS_ERROR_NOT_FOUND = 404
const LFS_ERROR_FAILED = 500
const LFS_ERROR_BAD_REQUEST = 400

export interface LfsAgentOptions extends Omit<PeerLinkOptions, 'ws'> {
  ws: Workspace
  input: Readable
  output: Writable
  /** where downloaded objects are written for git-lfs to move into place (default: the OS temp dir) */
  downloadDir?: string
  /** marks phases (GAS_DEBUG=1 prints their times) */
  phase?: PhaseLog
}

export interface LfsAgentReport { uploaded: number, downloaded: number, failed: number, fetchedBytes: number, fetchSeconds: number }

type Request = Record<string, unknown> & { event?: unknown }

export async function runLfsAgent (opts: LfsAgentOptions): Promise<LfsAgentReport> {
  const { ws } = opts
  const phase = opts.phase ?? phaseLog('gas lfs-agent')
  const report: LfsAgentReport = { uploaded: 0, downloaded: 0, failed: 0, fetchedBytes: 0, fetchSeconds: 0 }
  const send = (message: unknown): void => { opts.output.write(`${JSON.stringify(message)}\n`) }
  let link: PeerLink | undefined
  const lines = createInterface({ input: opts.input, crlfDelay: Infinity })
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue
      let request: Request
      try {
        request = JSON.parse(line) as Request
      } catch {
        request = undefined as unknown as Request
      }
      // why: `null`, a number or an array is valid JSON but no request; reading its event would crash the agent
      if (request === null || typeof request !== 'object' || Array.isArray(request)) {
        send({ error: { code: LFS_ERROR_BAD_REQUEST, message: `gas lfs-agent: not a JSON request: ${line.slice(0, 80)}` } })
        continue
      }
      switch (request.event) {
        case 'init':
          send({})
          break
        case 'terminate':
          phase('terminate')
          return report
        case 'upload':
        case 'download': {
          const oid = request.oid
          try {
            if (!isLfsOid(oid)) throw GasError.badArgument(`"${String(oid)}" is not a Git LFS oid`)
            if (request.event === 'upload') {
              if (typeof request.path !== 'string') throw GasError.badArgument(`upload of ${oid} names no path`)
              const stored = await storeLfsObject(ws, { path: request.path, expectedOid: oid })
              send({ event: 'progress', oid, bytesSoFar: stored.size, bytesSinceLast: stored.size })
              send({ event: 'complete', oid })
              report.uploaded++
            } else {
              link ??= new PeerLink(opts)
              let sent = 0
              const progress = (bytesSoFar: number): void => {
                if (bytesSoFar > sent) send({ event: 'progress', oid, bytesSoFar, bytesSinceLast: bytesSoFar - sent })
                sent = Math.max(sent, bytesSoFar)
              }
              const path = await download(ws, link, {
                oid,
                size: Number(request.size),
                dir: opts.downloadDir ?? tmpdir(),
                phase,
                onProgress: progress,
                onFetched: (bytes, seconds) => {
                  report.fetchedBytes += bytes
                  report.fetchSeconds += seconds
                }
              })
              progress(Number(request.size))
              send({ event: 'complete', oid, path })
              report.downloaded++
            }
          } catch (err) {
            report.failed++
            const code = err instanceof GasError && err.code === 'E_NOT_FOUND' ? LFS_ERROR_NOT_FOUND : LFS_ERROR_FAILED
            const message = err instanceof GasError ? `gas: ${err.code}: ${err.message}` : `gas: ${String(err)}`
            send({ event: 'complete', oid, error: { code, message } })
          }
          break
        }
        default:
          send({ error: { code: LFS_ERROR_BAD_REQUEST, message: `gas lfs-agent: unknown event ${JSON.stringify(request.event)}` } })
      }
    }
    return report
  } finally {
    lines.close()
    await link?.close()
    phase('link closed')
  }
}

interface DownloadOptions {
  oid: string
  size: number
  dir: string
  phase: PhaseLog
  /** bytes of the file written so far */
  onProgress: (bytesSoFar: number) => void
  onFetched: (bytes: number, seconds: number) => void
}

/**
 * The object from the local store, else through the peers; written to `dir`, verified against its
 * oid. A peer's manifest is fetched first; its content is then written into the file as it arrives
 * (LfsAssembly), chunks this store already holds (an earlier version's) copied in beside them.
 */
async function download (ws: Workspace, link: PeerLink, opts: DownloadOptions): Promise<string> {
  const { oid, phase } = opts
  const local = await localLfsManifest(ws, oid)
  if (local !== undefined) return await writeLfsObject(ws, { oid, fileId: local.fileId, dir: opts.dir })
  const what = `LFS object ${oid}${Number.isFinite(opts.size) ? ` (${opts.size} bytes)` : ''}`
  // not on the peers connected: once more with every peer the tracker counts (see PeerLink.widen)
  for (let look = 1; ; look++) {
    const path = await fromPeers(ws, link, opts)
    if (path !== undefined) return path
    if (look > 1 || !(await link.widen())) throw notOnPeers(what, link)
    phase(`${oid.slice(0, 12)} looking again, with every peer the tracker counts`)
  }
}

/** The object from the peers in the link, written and verified; undefined when none had all of it. */
async function fromPeers (ws: Workspace, link: PeerLink, opts: DownloadOptions): Promise<string | undefined> {
  const { oid, phase } = opts
  await link.open()
  const candidates = new Set(link.refValues(lfsRefName(oid)).values())
  const known = await ws.refs.read(lfsRefName(oid))
  if (known !== undefined) candidates.add(known)
  const debug = (what: string): void => phase(`${oid.slice(0, 12)} ${what}`)
  debug(`connected (${link.routes.map((r) => `${r.peer.slice(0, 8)} over ${r.transport}`).join(', ')})`)
  for (const fileId of candidates) {
    const started = performance.now()
    const metadata = await link.fetchMetadata([fileId])
    if (metadata.missing.length > 0) continue
    const manifest = await readManifest(ws.store, fileId)
    // a peer may advertise any id under refs/lfs/<oid>: only a manifest of exactly that content is used
    if (manifest?.sha256 !== oid) continue
    const assembly = await LfsAssembly.start({ fs: ws.fs, store: ws.store, manifest, out: lfsDownloadPath(opts.dir, oid), onProgress: opts.onProgress })
    try {
      await assembly.fillFromStore()
      const fetched = await link.fetchContent(metadata.wantSet, async (id, object) => await assembly.receive(id, object))
      debug(`fetched ${fetched.bytes} bytes`)
      opts.onFetched(metadata.bytes + fetched.bytes, (performance.now() - started) / 1000)
      // a chunk another process stored meanwhile is not fetched: the store has it
      if (fetched.missing.length === 0 && assembly.missing.length > 0) await assembly.fillFromStore()
      if (fetched.missing.length > 0 || !(await assembly.complete())) {
        await assembly.discard()
        continue
      }
    } catch (err) {
      await assembly.discard()
      throw err
    }
    await recordLfsRef(ws, oid, fileId, 'lfs: fetched')
    debug('written')
    return assembly.path
  }
  return undefined
}

/** When the agent cannot start (no workspace…): answers git-lfs's init with the error, so git-lfs shows it. */
export async function refuseLfsAgent (opts: { input: Readable, output: Writable, error: unknown }): Promise<void> {
  const message = opts.error instanceof GasError ? `gas: ${opts.error.code}: ${opts.error.message}` : `gas: ${String(opts.error)}`
  const lines = createInterface({ input: opts.input, crlfDelay: Infinity })
  for await (const line of lines) {
    if (line.trim() === '') continue
    opts.output.write(`${JSON.stringify({ error: { code: LFS_ERROR_FAILED, message } })}\n`)
    break
  }
  lines.close()
}
