import { dirname, join, resolve } from 'node:path'
import { GasError, isGasError } from '../errors.js'
import { buildSize, type Build } from '../objects/build.js'
import { isObjectId, type ObjectId } from '../objects/id.js'
import { connectPeers } from '../peer/sync/connect-peers.js'
import { fetchFromPeers, type PeerNodeOptions } from '../peer/sync/peer-node.js'
import { openSessions } from '../peer/sync/open-sessions.js'
import { syncRepo, type SyncProgress } from '../peer/sync/sync-engine.js'
import type { Workspace } from '../repo/workspace.js'
import { computeWantSet } from '../sync/want-set.js'
import { buildContentMissing, buildContentOnly } from './build-content.js'
import { buildRefName, parseBuildSpec } from './build-ref.js'
import { arrivingDirFor, materializeBuild } from './materialize.js'
import { ArrivingFiles } from '../repo/arriving-files.js'
import { readBuild } from './resolve-build.js'
import { checkBuildSignature } from './signature.js'

export interface FetchBuildOptions {
  ws: Workspace
  /** NAME@VERSION, or a build id */
  spec: string
  dir: string
  trackers: string[]
  security: PeerNodeOptions['security']
  rtcConfig?: Record<string, unknown>
  firstPeerWaitMs?: number
  morePeersWaitMs?: number
  /** builds this one depends on too, each into a folder NAME@VERSION beside `dir`; other dependencies into the store */
  withDeps?: boolean
  onProgress?: (p: SyncProgress) => void
}

export interface FetchBuildResult {
  build: ObjectId
  name: string
  version: string
  dir: string
  files: number
  bytes: number
  merkleRoot: string
  /** what came from peers: payload, and whole frames received */
  fetched: { objects: number, bytes: number }
  wire: { received: number }
  peers: string[]
  /** payload bytes received from each peer: a build fetched from several peers at once */
  fromPeers: Array<{ name: string, bytes: number }>
  dependencies: Array<{ name: string, id: ObjectId, dir: string | null }>
  /** files of the tester's in the folder a previous build was fetched into (saves, logs): carried into the new one, at these paths */
  kept: string[]
  /** the previous folder kept whole under this name, when its files could not be told from its build's (its record unreadable) */
  previousKeptAs?: string
}


/**
 * `gas build fetch NAME@VERSION DIR`: the build object, its manifests, then only the chunks not
 * already stored (chunks of earlier builds and assets are reused, so a new build costs about its
 * changed bytes) from every reachable peer at once; then written and verified beside DIR and
 * renamed into place (materialize.ts). An interrupted fetch resumes: what reached the store stays.
 */
export async function fetchBuild (opts: FetchBuildOptions): Promise<FetchBuildResult> {
  const { ws } = opts
  // large files are written beside DIR while their chunks arrive, then checked and moved in like the others
  const arriving = new ArrivingFiles(ws.fs, arrivingDirFor(opts.dir), { lookAhead: Infinity })
  try {
    return await fetchAndMaterialize(opts, arriving)
  } finally {
    await arriving.discard().catch(() => {})
    await ws.fs.rm(arriving.dir, { recursive: true, force: true }).catch(() => {})
  }
}

async function fetchAndMaterialize (opts: FetchBuildOptions, arriving: ArrivingFiles): Promise<FetchBuildResult> {
  const { ws } = opts
  const wanted = isObjectId(opts.spec) ? null : parseBuildSpec(opts.spec)
  const ref = wanted === null ? undefined : buildRefName(wanted.name, wanted.version)
  let id: ObjectId | undefined = wanted === null ? opts.spec : await ws.refs.read(ref!)
  const fetched = { objects: 0, bytes: 0 }
  const wire = { received: 0 }
  const peers: string[] = []
  const fromPeers: FetchBuildResult['fromPeers'] = []

  if (id === undefined || await buildContentMissing(ws.store, id)) {
    // connectPeers runs HELLO and throws E_NO_PEERS (with what each tracker answered) when no peer is reachable
    const connected = await connectPeers({ ws, trackers: opts.trackers, security: opts.security, rtcConfig: opts.rtcConfig, firstPeerWaitMs: opts.firstPeerWaitMs, morePeersWaitMs: opts.morePeersWaitMs })
    try {
      const { sessions } = connected
      if (id === undefined) id = await advertisedId(sessions, ref!, opts.spec)
      const result = await syncRepo({
        store: ws.store, refs: ws.refs, sessions, identity: connected.identity, ...opts.security,
        roots: [id], refRoots: false, applyRefs: false, wantContent: buildContentOnly, arriving,
        onProgress: opts.onProgress, who: ws.identity.name, lingerIdleMs: 0
      })
      await ws.store.flush()
      fetched.objects += result.fetched.objects
      fetched.bytes += result.fetched.bytes
      wire.received += result.wire.received
      peers.push(...result.perPeer.map((p) => p.name))
      fromPeers.push(...result.perPeer.map((p) => ({ name: p.name, bytes: p.bytesReceived })))
      if (result.missing.length > 0) await throwIncomplete(ws, id, opts.spec, result.missing.length)
    } finally {
      await connected.leave()
    }
  }

  const { build } = await readBuild(ws, id).catch((err) => {
    if (isGasError(err, 'E_NOT_FOUND')) throw new GasError('E_NOT_FOUND', `build ${opts.spec} not found: no reachable peer has it`, { build: opts.spec })
    throw err
  })
  checkBuildSignature(build, opts.spec)
  if (wanted !== null && (build.name !== wanted.name || build.version !== wanted.version)) {
    throw new GasError('E_BUILD_MISMATCH', `${ref} names a build of ${build.name}@${build.version}, not ${opts.spec}; the peer that advertised it is not to be trusted`, { build: id })
  }
  const dir = resolve(opts.dir)
  const { kept, previousKeptAs } = await materializeBuild({ fs: ws.fs, store: ws.store, id, build, dir, prepared: arriving })
  await recordRef(ws, build, id)

  const dependencies: FetchBuildResult['dependencies'] = []
  if (opts.withDeps === true) {
    for (const dep of build.dependencies) dependencies.push(await fetchDependency(opts, build, dep, dir, fetched, wire))
  }
  return { build: id, name: build.name, version: build.version, dir, files: build.files.length, bytes: buildSize(build), merkleRoot: build.merkleRoot, fetched, wire, peers, fromPeers, dependencies, kept, ...(previousKeptAs === undefined ? {} : { previousKeptAs }) }
}

/** The id the peers advertise for `ref`; E_NOT_FOUND when none does, E_BUILD_EXISTS when they disagree (a build never moves). */
async function advertisedId (sessions: Awaited<ReturnType<typeof openSessions>>['sessions'], ref: string, spec: string): Promise<ObjectId> {
  const ids = new Set<ObjectId>()
  await Promise.all(sessions.map(async (session) => {
    const refs = await session.waitRefs().catch(() => [])
    for (const r of refs) if (r.name === ref) ids.add(r.id)
  }))
  if (ids.size === 0) throw new GasError('E_NOT_FOUND', `build ${spec} not found: none of the ${sessions.length} reachable peer(s) has it`, { build: spec })
  if (ids.size > 1) throw new GasError('E_BUILD_EXISTS', `peers disagree on ${spec} (${[...ids].map((i) => i.slice(0, 12)).join(', ')}); a build is never replaced, ask the publisher which is theirs`, { build: spec })
  return [...ids][0]
}

/** Names the first file whose chunks no peer delivered, so the user knows what is missing. */
async function throwIncomplete (ws: Workspace, id: ObjectId, spec: string, count: number): Promise<never> {
  const set = await computeWantSet({ store: ws.store, roots: [id], wantContent: buildContentOnly })
  const paths = [...new Set([...set.metadata, ...set.content].map((w) => w.path).filter((p): p is string => p !== undefined))]
  const named = paths.length === 0 ? '' : ` (${paths[0]}${paths.length > 1 ? ` and ${paths.length - 1} other file(s)` : ''})`
  throw new GasError('E_SYNC_INCOMPLETE', `${spec}: ${count} object(s) could not be fetched${named}; a peer left mid-fetch? Run the fetch again: it resumes from what arrived`, { build: spec, path: paths[0] ?? null, missing: count })
}

/** Fetched builds are recorded under their ref like published ones: set once, never moved. */
async function recordRef (ws: Workspace, build: Build, id: ObjectId): Promise<void> {
  const name = buildRefName(build.name, build.version)
  const current = await ws.refs.read(name)
  if (current === id) return
  if (current !== undefined) throw new GasError('E_BUILD_EXISTS', `${build.name}@${build.version} is already recorded here as ${current.slice(0, 12)}, not ${id.slice(0, 12)}`, { build: id })
  await ws.refs.update({ name, newId: id, expectedOld: null, message: 'build fetch', who: ws.identity.name, now: ws.clock.now() }).catch((err) => {
    if (!isGasError(err, 'E_REF_CONFLICT')) throw err
  })
}

async function fetchDependency (opts: FetchBuildOptions, parent: Build, dep: Build['dependencies'][number], dir: string, fetched: FetchBuildResult['fetched'], wire: FetchBuildResult['wire']): Promise<FetchBuildResult['dependencies'][number]> {
  if (dep.type === 'build') {
    const depDir = join(dirname(dir), dep.name.includes('@') ? dep.name : dep.id.slice(0, 16))
    const result = await fetchBuild({ ...opts, spec: dep.id, dir: depDir })
    fetched.objects += result.fetched.objects
    fetched.bytes += result.fetched.bytes
    wire.received += result.wire.received
    return { name: dep.name, id: dep.id, dir: depDir }
  }
  // an asset or version: its content into the store (restore or check it out from there)
  const result = await fetchFromPeers({ ws: opts.ws, trackers: opts.trackers, security: opts.security, rtcConfig: opts.rtcConfig, firstPeerWaitMs: opts.firstPeerWaitMs, morePeersWaitMs: opts.morePeersWaitMs, roots: [dep.id] })
  fetched.objects += result.fetched.objects
  fetched.bytes += result.fetched.bytes
  wire.received += result.wire.received
  if (result.missing.length > 0) throw new GasError('E_SYNC_INCOMPLETE', `dependency ${dep.name} of ${parent.name}@${parent.version}: ${result.missing.length} object(s) could not be fetched; run the fetch again`, { dependency: dep.name })
  return { name: dep.name, id: dep.id, dir: null }
}
