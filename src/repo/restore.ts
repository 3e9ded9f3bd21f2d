import { dirname, resolve } from 'node:path'
import type { PreparedContent } from './arriving-files.js'
import { GasError } from '../errors.js'
import { decodeFileManifestLazily } from '../objects/file-manifest.js'
import { writeFileContent } from './file-content-writer.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import { workingFileState } from './local-changes.js'
import { resolveRevision } from './rev-parse.js'
import { readIndex } from './staging-index.js'
import { lookupPath, readAsset, readTyped, readVersion } from './tree-io.js'
import type { Workspace } from './workspace.js'

// why: checkout, resolve and fetch-plan import it from here
export { writeFileContent } from './file-content-writer.js'

export interface RestoreResult { path: string, version: ObjectId, asset: ObjectId, out: string, size: number, sha256: string }

export interface RestoreOptions {
  path: string
  rev: string
  out?: string
  cwd?: string
  force?: boolean
  /** bytes written so far and the file's size, after each chunk (for a progress bar) */
  onProgress?: (bytes: number, total: number) => void
  /** content a fetch just wrote and verified (arriving-files.ts): moved to the output instead of written again from the store */
  prepared?: PreparedContent
}

/** `--out` names a file in a folder that exists: a typo in the folder should not create a tree of folders. */
async function checkOutFolder (fs: FileSystem, out: string): Promise<void> {
  const folder = dirname(out)
  const st = await fs.stat(folder).catch(() => undefined)
  if (st === undefined) throw GasError.notFound(`folder ${folder} (create it first, or name a file in a folder that exists)`, { path: folder })
  if (!st.isDirectory()) throw GasError.badArgument(`${folder} is not a folder`, { path: folder })
}

/**
 * Writes the asset at `path` as it was in revision `rev` (default: in place). In place, a file
 * with edits the store does not hold (changed since it was staged, or never added) is refused
 * with E_LOCAL_CHANGES unless `force`: restoring must not be the way work is lost.
 */
export async function restore (ws: Workspace, opts: RestoreOptions): Promise<RestoreResult> {
  if (opts.out !== undefined) return await restoreUnlocked(ws, opts)
  return await ws.withLock(async () => {
    const path = ws.relativePath(opts.path, opts.cwd)
    if (opts.force !== true && await workingFileState(ws, path, (await readIndex(ws.fs, ws.gasDir)).entries[path]) === 'edited') {
      throw new GasError('E_LOCAL_CHANGES', `${path} has changes that are not staged; restoring would overwrite them: \`gas add\` it first, restore with --out FILE, or pass --force to discard them`, { path })
    }
    return await restoreUnlocked(ws, opts)
  })
}

async function restoreUnlocked (ws: Workspace, opts: RestoreOptions): Promise<RestoreResult> {
  const path = ws.relativePath(opts.path, opts.cwd)
  if (opts.out !== undefined) await checkOutFolder(ws.fs, resolve(opts.cwd ?? ws.root, opts.out))
  const versionId = await resolveRevision(ws, opts.rev)
  const version = await readVersion(ws.store, versionId)
  const assetId = await lookupPath(ws.store, version.tree, path)
  if (assetId === undefined) throw GasError.notFound(`${path} in version ${versionId.slice(0, 12)}`, { path, version: versionId })
  const asset = await readAsset(ws.store, assetId)
  // why lazily: the chunk list is walked once, in order; decoded whole it is ~25 MiB of heap for 10 GB
  const manifest = decodeFileManifestLazily(await readTyped(ws.store, asset.file, 'file'))
  const out = opts.out !== undefined ? resolve(opts.cwd ?? ws.root, opts.out) : ws.absolutePath(path)
  if (opts.prepared === undefined || !await opts.prepared.take(manifest, out)) await writeFileContent(ws.fs, ws.store, manifest, out, opts.onProgress)
  return { path, version: versionId, asset: assetId, out, size: manifest.size, sha256: manifest.sha256 }
}
