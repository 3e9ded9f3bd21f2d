import { randomBytes } from 'node:crypto'
import { basename, dirname, join, resolve } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import type { Build } from '../objects/build.js'
import { decodeFileManifest } from '../objects/file-manifest.js'
import type { FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import { isProcessAlive } from '../objects/process-alive.js'
import type { ObjectStore } from '../objects/store.js'
import { BUILD_RECORD } from './build-folder.js'
import { encodeBuildRecord } from './build-record.js'
import { merkleRoot, type MerkleLeaf } from './merkle.js'
import { checkBuildSignature } from './signature.js'
import { hashFile } from './hash-file.js'
import { writeFileContent } from '../repo/file-content-writer.js'
import { carryOverFiles, type KeptFiles } from './kept-files.js'
import type { PreparedContent } from '../repo/arriving-files.js'

const TEMP_MARK = '.gas-fetch-'
const OLD_MARK = '.gas-old-'
const ARRIVING_MARK = '.gas-arriving-'

export interface MaterializeOptions {
  fs: FileSystem
  store: ObjectStore
  id: ObjectId
  build: Build
  dir: string
  /** files the fetch already wrote while their chunks arrived (arriving-files.ts), moved in instead of written again; checked the same way */
  prepared?: PreparedContent
}

/** Where a build fetch writes files while their chunks arrive: a folder beside the destination (the same file system, so each is renamed in). */
export function arrivingDirFor (dir: string): string {
  const target = resolve(dir)
  return join(dirname(target), `.${basename(target)}${ARRIVING_MARK}${process.pid}-${randomBytes(4).toString('hex')}`)
}

/**
 * Writes a build whose chunks are all stored into `dir`, never leaving anything unverified there:
 * the files go into a temporary folder beside `dir` (same file system, so a rename moves it),
 * each file's SHA-256 is computed from the bytes written and compared with the build's, then the
 * Merkle root and the signature are checked, and only then is the folder renamed into place.
 * A previous build at `dir` stays whole until that moment; the files in it that were not part of
 * it move into the new folder (kept-files.ts). Any failure removes the temporary folder.
 */
export async function materializeBuild (opts: MaterializeOptions): Promise<KeptFiles> {
  const { fs, build } = opts
  const target = resolve(opts.dir)
  const parent = dirname(target)
  const base = basename(target)
  await checkTarget(fs, target)
  await fs.mkdir(parent, { recursive: true }).catch((err) => { throw fromFsError(err, parent) })
  await removeStale(fs, parent, base)
  const temp = join(parent, `.${base}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await fs.mkdir(temp).catch((err) => { throw fromFsError(err, temp) })
    const leaves: MerkleLeaf[] = []
    for (const file of build.files) {
      const sha256 = await writeOne(opts, file, join(temp, ...file.path.split('/')))
      leaves.push({ path: file.path, mode: file.mode, size: file.size, sha256 })
    }
    if (merkleRoot(leaves) !== build.merkleRoot) throw new GasError('E_BUILD_MISMATCH', `${build.name}@${build.version}: the files written do not give the Merkle root the build was signed with`, { build: opts.id })
    checkBuildSignature(build, `${build.name}@${build.version}`)
    const recordPath = join(temp, BUILD_RECORD)
    await fs.writeFile(recordPath, encodeBuildRecord(opts.id, build)).catch((err) => { throw fromFsError(err, recordPath) })
    return await swapInto(fs, temp, target, build)
  } catch (err) {
    await fs.rm(temp, { recursive: true, force: true }).catch(() => {})
    throw err
  }
}

/** `dir` may be absent, empty, or a build fetched before (it has a record); anything else is the user's and is left alone. */
async function checkTarget (fs: FileSystem, target: string): Promise<void> {
  const st = await fs.stat(target).catch(() => undefined)
  if (st === undefined) return
  if (!st.isDirectory()) throw new GasError('E_ALREADY_EXISTS', `${target} exists and is not a folder; choose another destination`, { path: target })
  const names = await fs.readdir(target)
  if (names.length > 0 && !names.includes(BUILD_RECORD)) {
    throw new GasError('E_ALREADY_EXISTS', `${target} holds files that are not a fetched build; choose an empty or new folder`, { path: target })
  }
}

/** Temporary and old folders left beside `dir` by a fetch that was killed (its process is gone). */
async function removeStale (fs: FileSystem, parent: string, base: string): Promise<void> {
  for (const name of await fs.readdir(parent).catch(() => [] as string[])) {
    for (const mark of [TEMP_MARK, OLD_MARK, ARRIVING_MARK]) {
      const prefix = `.${base}${mark}`
      if (!name.startsWith(prefix)) continue
      const pid = Number(name.slice(prefix.length).split('-')[0])
      if (!isProcessAlive(pid)) await fs.rm(join(parent, name), { recursive: true, force: true }).catch(() => {})
    }
  }
}

async function writeOne (opts: MaterializeOptions, file: Build['files'][number], path: string): Promise<string> {
  const { fs, store } = opts
  const manifest = decodeFileManifest((await store.get(file.file)).body)
  if (manifest.size !== file.size || manifest.sha256 !== file.sha256) {
    throw new GasError('E_BUILD_MISMATCH', `${file.path}: its chunk list describes other content than the build lists`, { path: file.path })
  }
  try {
    // written while it arrived, or else the store's verified chunks, large reads and writes (the native restore where built), to a temporary name beside `path`
    if (opts.prepared === undefined || !await opts.prepared.take(manifest, path)) await writeFileContent(fs, store, manifest, path)
    const handle = await fs.open(path, 'r')
    try {
      await handle.chmod(file.mode)
    } finally {
      await handle.close()
    }
  } catch (err) {
    const gasErr = fromFsError(err, file.path)
    if (gasErr.code === 'E_DISK_FULL') throw new GasError('E_DISK_FULL', `${file.path}: disk full while writing the build; free space and fetch again (nothing was written to the destination)`, { path: file.path })
    throw gasErr
  }
  // the bytes as written, read back (from the page cache the write just filled): what the signed build lists
  const { sha256, size } = await hashFile(fs, path)
  if (size !== file.size || sha256 !== file.sha256) {
    throw new GasError('E_BUILD_MISMATCH', `${file.path}: SHA-256 ${sha256} does not match the build's ${file.sha256}`, { path: file.path, expected: file.sha256, actual: sha256 })
  }
  return sha256
}

/** Moves the verified folder into place; the previous build is moved aside first and restored if that fails, and the tester's files in it are carried over. */
async function swapInto (fs: FileSystem, temp: string, target: string, build: Build): Promise<KeptFiles> {
  const exists = await fs.stat(target).then(() => true, () => false)
  if (!exists) {
    await fs.rename(temp, target).catch((err) => { throw fromFsError(err, target) })
    return { kept: [] }
  }
  const old = join(dirname(target), `.${basename(target)}${OLD_MARK}${process.pid}-${randomBytes(4).toString('hex')}`)
  await fs.rename(target, old).catch((err) => { throw fromFsError(err, target) })
  try {
    await fs.rename(temp, target)
  } catch (err) {
    await fs.rename(old, target).catch(() => {})
    throw fromFsError(err, target)
  }
  const keepWholeAs = `${target}.previous-${new Date().toISOString().replace(/[:.]/g, '-')}`
  let kept: KeptFiles
  try {
    kept = await carryOverFiles(fs, old, target, build, keepWholeAs)
  } catch {
    // why: a file that could not be moved (permissions, a name the file system refuses) is not lost; what is left stays together
    await fs.rename(old, keepWholeAs).catch(() => {})
    return { kept: [], previousKeptAs: keepWholeAs }
  }
  if (kept.previousKeptAs === undefined) await fs.rm(old, { recursive: true, force: true }).catch(() => {})
  return kept
}
