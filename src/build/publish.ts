import { extname, resolve } from 'node:path'
import { GasError, isGasError } from '../errors.js'
import { buildSize, encodeBuild, type Build, type BuildDependency, type BuildFile } from '../objects/build.js'
import { hashObject, isObjectId, type ObjectId } from '../objects/id.js'
import { ingestFile } from '../repo/ingest.js'
import type { Workspace } from '../repo/workspace.js'
import { listBuildFolder } from './build-folder.js'
import { buildRefName } from './build-ref.js'
import { detectEngine, parseEngineFlag } from './engine-detect.js'
import { merkleRoot } from './merkle.js'
import { readBuild, resolveBuild } from './resolve-build.js'
import { signBuild } from './signature.js'
import { gitCommitOf } from './source-version.js'

export interface PublishOptions {
  dir: string
  name: string
  version: string
  platform?: string
  /** NAME or NAME@VERSION; else read from the build folder or the workspace's project files */
  engine?: string
  /** NAME@VERSION of a build, or the id of a stored build, asset or version */
  deps?: string[]
}

export interface PublishResult {
  build: ObjectId
  name: string
  version: string
  files: number
  bytes: number
  merkleRoot: string
  /** chunks this publish stored (the others were already there: earlier builds, assets) */
  newChunks: number
  /** the same NAME@VERSION with the same files was already published: nothing changed */
  unchanged: boolean
}

async function resolveDependency (ws: Workspace, spec: string): Promise<BuildDependency> {
  if (isObjectId(spec)) {
    if (!(await ws.store.has(spec))) throw GasError.notFound(`dependency ${spec}`, { dependency: spec })
    return { name: spec, type: (await ws.store.get(spec)).type, id: spec }
  }
  try {
    const { id } = await resolveBuild(ws, spec)
    return { name: spec, type: 'build', id }
  } catch (err) {
    if (isGasError(err, 'E_NOT_FOUND')) throw new GasError('E_NOT_FOUND', `dependency ${spec} not found: no such build here; publish or fetch it first`, { dependency: spec })
    throw err
  }
}

/**
 * `gas build publish`: chunks every file of `dir` into the store exactly as `gas add` does (so a
 * build shares chunks with the assets and builds already stored), writes a signed `build` object
 * and sets refs/builds/NAME/VERSION once. Chunks and manifests are durable before the build object
 * names them, and the ref is set last, so a crash leaves either no build or a whole one.
 */
export async function publishBuild (ws: Workspace, opts: PublishOptions): Promise<PublishResult> {
  const ref = buildRefName(opts.name, opts.version)
  const dir = resolve(opts.dir)
  const st = await ws.fs.stat(dir).catch(() => undefined)
  if (st?.isDirectory() !== true) throw GasError.notFound(`build folder ${opts.dir}`, { path: opts.dir })
  const dependencies: BuildDependency[] = []
  for (const spec of opts.deps ?? []) dependencies.push(await resolveDependency(ws, spec))

  const files: BuildFile[] = []
  const manifests: Array<{ id: ObjectId, bytes: Uint8Array }> = []
  let newChunks = 0
  for (const entry of await listBuildFolder(ws.fs, dir)) {
    const ingested = await ingestFile(ws.fs, ws.store, entry.abs, extname(entry.path).slice(1).toLowerCase())
    manifests.push({ id: ingested.fileId, bytes: ingested.manifest })
    files.push({ path: entry.path, mode: entry.mode, size: ingested.size, sha256: ingested.sha256, file: ingested.fileId })
    newChunks += ingested.newChunks
  }
  await ws.store.flush()
  for (const m of manifests) await ws.store.loose.write('file', m.bytes, m.id)

  const root = merkleRoot(files)
  const existing = await ws.refs.read(ref)
  if (existing !== undefined) return await samePublish(ws, existing, root, files.length, opts)

  const engine = opts.engine !== undefined ? parseEngineFlag(opts.engine) : await detectEngine(ws.fs, [dir, ws.root])
  const commit = await gitCommitOf(dir)
  const head = await ws.head()
  const unsigned: Build = {
    name: opts.name,
    version: opts.version,
    platform: opts.platform ?? null,
    engine: engine ?? null,
    source: commit !== undefined ? { kind: 'git', version: commit } : head !== undefined ? { kind: 'gas', version: head } : { kind: 'none', version: null },
    publisher: ws.author,
    time: ws.authorTime(),
    files,
    merkleRoot: root,
    dependencies,
    signature: null
  }
  const signed = signBuild(ws.identity, unsigned)
  const body = encodeBuild(signed)
  const id = hashObject('build', body)
  await ws.store.put('build', body)
  await ws.store.flush()
  try {
    await ws.refs.update({ name: ref, newId: id, expectedOld: null, message: `build publish ${opts.name}@${opts.version}`, who: ws.identity.name, now: ws.clock.now() })
  } catch (err) {
    // another publish of the same NAME@VERSION won the race: same files is fine, others are refused
    if (!isGasError(err, 'E_REF_CONFLICT')) throw err
    return await samePublish(ws, (await ws.refs.read(ref)) ?? id, root, files.length, opts)
  }
  return { build: id, name: opts.name, version: opts.version, files: files.length, bytes: buildSize(signed), merkleRoot: root, newChunks, unchanged: false }
}

/** A second publish of NAME@VERSION: a no-op when the files are the same, E_BUILD_EXISTS otherwise. */
async function samePublish (ws: Workspace, existing: ObjectId, root: string, files: number, opts: PublishOptions): Promise<PublishResult> {
  const { build } = await readBuild(ws, existing)
  if (build.merkleRoot !== root) {
    throw new GasError('E_BUILD_EXISTS', `${opts.name}@${opts.version} is already published (${existing.slice(0, 12)}) with other files; a build is never replaced: publish a new version`, { build: existing })
  }
  return { build: existing, name: opts.name, version: opts.version, files, bytes: buildSize(build), merkleRoot: root, newChunks: 0, unchanged: true }
}
