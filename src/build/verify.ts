import { resolve } from 'node:path'
import { realFs, type FileSystem } from '../objects/fs.js'
import type { ObjectId } from '../objects/id.js'
import { listBuildFolder } from './build-folder.js'
import { readBuildRecord } from './build-record.js'
import { hashFiles } from './hash-files.js'

export interface VerifyMismatch { path: string, expected: string, actual: string }

export interface VerifyResult {
  ok: boolean
  build: ObjectId
  name: string
  version: string
  mismatches: VerifyMismatch[]
  missing: string[]
  extra: string[]
}

/**
 * `gas build verify DIR`: offline, from the signed record in DIR alone. Checks the record (id,
 * signature, Merkle root), then re-hashes every file: a changed byte is a mismatch naming the
 * file, a file the build lists but DIR lacks is missing, one DIR has but the build does not is extra.
 */
export async function verifyBuildFolder (opts: { dir: string, fs?: FileSystem }): Promise<VerifyResult> {
  const fs = opts.fs ?? realFs
  const dir = resolve(opts.dir)
  const { id, build } = await readBuildRecord(fs, dir)
  const present = new Map((await listBuildFolder(fs, dir)).map((f) => [f.path, f]))
  const mismatches: VerifyMismatch[] = []
  const missing: string[] = []
  const toHash: Array<{ path: string, abs: string, size: number, sha256: string }> = []
  for (const file of build.files) {
    const found = present.get(file.path)
    present.delete(file.path)
    if (found === undefined) missing.push(file.path)
    else toHash.push({ path: file.path, abs: found.abs, size: file.size, sha256: file.sha256 })
  }
  const hashed = await hashFiles(fs, toHash.map((f) => ({ path: f.abs, size: f.size })))
  toHash.forEach((file, i) => {
    if (hashed[i].sha256 !== file.sha256) mismatches.push({ path: file.path, expected: file.sha256, actual: hashed[i].sha256 })
  })
  const extra = [...present.keys()]
  return { ok: mismatches.length === 0 && missing.length === 0 && extra.length === 0, build: id, name: build.name, version: build.version, mismatches, missing, extra }
}
