import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { GasError } from '../errors.js'
import { decodeFileManifest, type FileManifest } from '../objects/file-manifest.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { ingestFile } from '../repo/ingest.js'
import type { Workspace } from '../repo/workspace.js'
import { writeLfsContent } from './lfs-content.js'
import { lfsManifestState } from '../repo/lfs-manifest.js'

/**
 * Git LFS objects in a gas store. An LFS oid is the plain SHA-256 of the content, which is also the
 * `sha256` of gas's file manifest, so an LFS object is stored as any file is (chunked, deduplicated)
 * and `refs/lfs/<oid>` names its manifest: peers advertise that ref, which is how another peer
 * learns which manifest to fetch for an oid (see ON_DEMAND_REF_PREFIXES in src/peer/sync/ref-exchange.ts).
 */

export interface StoredLfsObject { oid: string, size: number, fileId: ObjectId, newChunks: number }

export function isLfsOid (oid: unknown): oid is string {
  return typeof oid === 'string' && /^[0-9a-f]{64}$/.test(oid)
}

export function lfsRefName (oid: string): string {
  if (!isLfsOid(oid)) throw GasError.badArgument(`"${String(oid)}" is not a Git LFS oid (64 lower-case hex digits)`)
  return `refs/lfs/${oid}`
}

/** Chunks and stores the file at `path` and records refs/lfs/<oid>; refuses content whose SHA-256 is not `expectedOid`. */
export async function storeLfsObject (ws: Workspace, opts: { path: string, expectedOid?: string }): Promise<StoredLfsObject> {
  if (opts.expectedOid !== undefined) lfsRefName(opts.expectedOid)
  const ingested = await ingestFile(ws.fs, ws.store, opts.path, 'bin')
  if (opts.expectedOid !== undefined && ingested.sha256 !== opts.expectedOid) {
    throw new GasError('E_CORRUPT_OBJECT', `${opts.path} has SHA-256 ${ingested.sha256}, not the LFS oid ${opts.expectedOid}; run \`git lfs fsck\``, { path: opts.path, oid: opts.expectedOid })
  }
  // chunks durable before the manifest that points at them, as `gas add` does
  await ws.store.flush()
  await ws.store.loose.write('file', ingested.manifest, ingested.fileId)
  await recordLfsRef(ws, ingested.sha256, ingested.fileId, 'lfs: stored')
  return { oid: ingested.sha256, size: ingested.size, fileId: ingested.fileId, newChunks: ingested.newChunks }
}

/** The manifest of `oid` when this store holds all of its content; undefined otherwise. */
export async function localLfsManifest (ws: Workspace, oid: string): Promise<{ fileId: ObjectId, manifest: FileManifest } | undefined> {
  const fileId = await ws.refs.read(lfsRefName(oid))
  if (fileId === undefined) return undefined
  const held = await lfsManifestState(ws.store, fileId, oid)
  return held.state === 'whole' ? { fileId, manifest: held.manifest } : undefined
}

export async function readManifest (store: ObjectStore, fileId: ObjectId): Promise<FileManifest | undefined> {
  if (!(await store.has(fileId, 'file'))) return undefined
  const object = await store.get(fileId)
  if (object.type !== 'file') throw GasError.corruptObject(fileId, `is a ${object.type}, not a file manifest`)
  return decodeFileManifest(object.body)
}

/**
 * Writes the content of `oid` (all chunks stored) into `dir` under a unique name, verified against
 * the oid, and returns its path. Records refs/lfs/<oid> so this peer advertises it too.
 */
export async function writeLfsObject (ws: Workspace, opts: { oid: string, fileId: ObjectId, dir: string }): Promise<string> {
  const manifest = await readManifest(ws.store, opts.fileId)
  if (manifest === undefined) throw GasError.notFound(`file manifest ${opts.fileId} of LFS object ${opts.oid}`)
  if (manifest.sha256 !== opts.oid) throw GasError.corruptObject(opts.fileId, `its SHA-256 is ${manifest.sha256}, not the LFS oid ${opts.oid}`)
  const out = lfsDownloadPath(opts.dir, opts.oid)
  await writeLfsContent(ws.fs, ws.store, manifest, out)
  await recordLfsRef(ws, opts.oid, opts.fileId, 'lfs: fetched')
  return out
}

/** A unique name in `dir` for the file of `oid` handed to git-lfs. */
export function lfsDownloadPath (dir: string, oid: string): string {
  return join(dir, `gas-lfs-${oid.slice(0, 16)}-${randomBytes(6).toString('hex')}`)
}

/** Points refs/lfs/<oid> at `fileId` (its content stored), so this peer advertises it. */
export async function recordLfsRef (ws: Workspace, oid: string, fileId: ObjectId, message: string): Promise<void> {
  const name = lfsRefName(oid)
  if ((await ws.refs.read(name)) !== fileId) {
    await ws.refs.update({ name, newId: fileId, message, who: ws.identity.name, now: ws.clock.now() })
  }
}
