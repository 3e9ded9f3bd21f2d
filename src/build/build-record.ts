import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { decodeBuild, type Build } from '../objects/build.js'
import { encodeCanonical } from '../objects/canonical-json.js'
import type { FileSystem } from '../objects/fs.js'
import { hashObject, type ObjectId } from '../objects/id.js'
import { BUILD_RECORD } from './build-folder.js'
import { checkBuildSignature } from './signature.js'

/**
 * DIR/.gas-build.json: the build object itself (as JSON) and its id. Re-encoded canonically it
 * must hash to `id`, and it carries the publisher's signature, so an offline verify trusts nothing
 * in the folder it has not checked.
 */
interface BuildRecord { gasBuild: 1, id: ObjectId, build: Build }

export function encodeBuildRecord (id: ObjectId, build: Build): string {
  const record: BuildRecord = { gasBuild: 1, id, build }
  return `${JSON.stringify(record, null, 2)}\n`
}

/** Reads and checks the record in `dir`: id, canonical form, safe paths, signature, Merkle root. */
export async function readBuildRecord (fs: FileSystem, dir: string): Promise<{ id: ObjectId, build: Build }> {
  const path = join(dir, BUILD_RECORD)
  let text: string
  try {
    text = await fs.readFile(path, 'utf8')
  } catch (err) {
    const gasErr = fromFsError(err, path)
    if (gasErr.code === 'E_NOT_FOUND') throw new GasError('E_NOT_FOUND', `${path} not found: not a folder written by \`gas build fetch\``, { path })
    throw gasErr
  }
  let record: Partial<BuildRecord>
  try {
    record = JSON.parse(text) as Partial<BuildRecord>
  } catch {
    throw new GasError('E_CORRUPT_OBJECT', `${path} is not valid JSON; fetch the build again`, { path })
  }
  if (record.gasBuild !== 1 || typeof record.id !== 'string' || record.build === undefined) {
    throw new GasError('E_CORRUPT_OBJECT', `${path} is not a gas build record`, { path })
  }
  let body: Uint8Array
  try {
    body = encodeCanonical(record.build)
  } catch {
    throw new GasError('E_CORRUPT_OBJECT', `${path} holds a malformed build`, { path })
  }
  const build = decodeBuild(body)
  if (hashObject('build', body) !== record.id) {
    throw new GasError('E_BAD_SIGNATURE', `${path}: the recorded build does not hash to its id ${record.id.slice(0, 12)}; it was altered`, { path })
  }
  checkBuildSignature(build, path)
  return { id: record.id, build }
}
