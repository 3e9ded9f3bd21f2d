import { GasError } from '../errors.js'
import { decodeCanonical, encodeCanonical, Fields } from './canonical-json.js'
import { isObjectId, isObjectType, type ObjectId, type ObjectType } from './id.js'
import { decodeAuthor, decodeAuthorTime, type Author, type AuthorTime } from './version.js'

/**
 * `build` object: a signed manifest of one published build (canonical JSON, like versions).
 * Files are sorted by path; each names its `file` manifest (the chunk list, shared with assets
 * and other builds) and repeats size and SHA-256 so a build can be verified from this object alone.
 * `signature` is Ed25519 by `publisher` over the encoding without it.
 */
export interface BuildFile {
  /** '/'-separated, relative, no '.' or '..' components */
  path: string
  /** 0o644 or 0o755: only the executable bit travels, as in git */
  mode: number
  size: number
  sha256: string
  /** id of the `file` manifest: the ordered chunk list */
  file: ObjectId
}

export interface BuildDependency {
  /** what the user named: NAME@VERSION for a build, or the id itself */
  name: string
  type: ObjectType
  id: ObjectId
}

export interface Build {
  name: string
  version: string
  platform: string | null
  engine: { name: string, version: string | null } | null
  /** where the bytes came from: a git commit when the build folder is in a git work tree, else the gas head */
  source: { kind: 'git' | 'gas' | 'none', version: string | null }
  publisher: Author
  time: AuthorTime
  files: BuildFile[]
  /** hex SHA-256 Merkle root over the sorted files (see src/build/merkle.ts) */
  merkleRoot: string
  dependencies: BuildDependency[]
  signature: string | null
}

export const EXECUTABLE_MODE = 0o755
export const REGULAR_MODE = 0o644

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/

/** Build names and versions become ref path components: refs/builds/NAME/VERSION. */
export function checkBuildName (value: string, what: 'name' | 'version'): string {
  if (!NAME_PATTERN.test(value) || value.includes('..') || value.endsWith('.lock')) {
    throw GasError.badArgument(`build ${what} "${value}" must be letters, digits, '.', '_', '+' or '-' (at most 128, not starting with a dot)`)
  }
  return value
}

/** A file path inside a build: refuses what could write outside the build folder when fetched. */
export function checkBuildPath (path: string): string {
  const escape = (why: string): never => { throw new GasError('E_PATH_ESCAPE', `build file "${path}": ${why}`, { path }) }
  if (path === '' || path.includes('\0')) escape('empty or holds a NUL')
  if (path.startsWith('/') || path.includes('\\') || /^[A-Za-z]:/.test(path)) escape('is absolute or uses backslashes')
  for (const part of path.split('/')) if (part === '' || part === '.' || part === '..') escape('has an empty, "." or ".." component')
  return path
}

/** Sorted, unique, safe paths: what every decoded build holds. */
export function checkBuildFiles (files: BuildFile[]): void {
  for (let i = 0; i < files.length; i++) {
    checkBuildPath(files[i].path)
    if (i > 0 && files[i - 1].path === files[i].path) throw new GasError('E_CORRUPT_OBJECT', `build file "${files[i].path}" is listed twice`, { path: files[i].path })
    if (i > 0 && files[i - 1].path > files[i].path) throw new GasError('E_CORRUPT_OBJECT', `build files are not sorted at "${files[i].path}"`, { path: files[i].path })
  }
}

export function encodeBuild (build: Build): Uint8Array {
  return encodeCanonical(build)
}

export function signedBuildPart (build: Build): Uint8Array {
  return encodeCanonical({ ...build, signature: null })
}

function decodeFile (f: Fields): BuildFile {
  const file = f.string('file')
  if (!isObjectId(file)) f.fail('file', 'an object id')
  const sha256 = f.string('sha256')
  if (!/^[0-9a-f]{64}$/.test(sha256)) f.fail('sha256', '64 hex digits')
  const mode = f.integer('mode')
  if (mode !== EXECUTABLE_MODE && mode !== REGULAR_MODE) f.fail('mode', '0o644 or 0o755')
  const size = f.integer('size')
  if (size < 0) f.fail('size', 'not negative')
  return { path: f.string('path'), mode, size, sha256, file }
}

function decodeDependency (f: Fields): BuildDependency {
  const id = f.string('id')
  if (!isObjectId(id)) f.fail('id', 'an object id')
  const type = f.string('type')
  if (!isObjectType(type)) f.fail('type', 'an object type')
  return { name: f.string('name'), type: type as ObjectType, id }
}

export function decodeBuild (body: Uint8Array): Build {
  const f = Fields.of(decodeCanonical(body, 'build'), 'build')
  const merkleRoot = f.string('merkleRoot')
  if (!/^[0-9a-f]{64}$/.test(merkleRoot)) f.fail('merkleRoot', '64 hex digits')
  const signature = f.optionalString('signature')
  if (signature !== null && !/^[0-9a-f]{128}$/.test(signature)) f.fail('signature', '128 hex digits or null')
  const engineFields = f.optionalObject('engine')
  const source = f.object('source')
  const kind = source.string('kind')
  if (kind !== 'git' && kind !== 'gas' && kind !== 'none') source.fail('kind', 'git, gas or none')
  const files = f.array('files').map((v, i) => decodeFile(Fields.of(v, `build.files[${i}]`)))
  checkBuildFiles(files)
  return {
    name: f.string('name'),
    version: f.string('version'),
    platform: f.optionalString('platform'),
    engine: engineFields === null ? null : { name: engineFields.string('name'), version: engineFields.optionalString('version') },
    source: { kind: kind as Build['source']['kind'], version: source.optionalString('version') },
    publisher: decodeAuthor(f.object('publisher')),
    time: decodeAuthorTime(f.object('time')),
    files,
    merkleRoot,
    dependencies: f.array('dependencies').map((v, i) => decodeDependency(Fields.of(v, `build.dependencies[${i}]`))),
    signature
  }
}

/** Sum of the files' sizes. */
export function buildSize (build: Build): number {
  return build.files.reduce((total, f) => total + f.size, 0)
}
