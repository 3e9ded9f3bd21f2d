import { GasError } from '../errors.js'
import { isObjectId, type ObjectId } from '../objects/id.js'

/**
 * Lock records live at refs/locks/<escaped path>/<record id>: one folder per locked path (a path
 * and a path below it never clash as file and folder), one file per signed record.
 * Escaping keeps `[A-Za-z0-9_+,-]` and writes every other byte of the UTF-8 path as `=XX`, so
 * '/', '.', '..', a trailing '.lock' or '.tmp-' (which the ref store skips) never reach the file system.
 */
export const LOCK_REF_PREFIX = 'refs/locks/'
/** why: the escaped path is one file name; most file systems stop at 255 bytes */
export const MAX_ESCAPED_LOCK_PATH = 240

export function escapeLockPath (path: string): string {
  let out = ''
  for (const byte of Buffer.from(path, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9_+,-]/.test(c) ? c : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  if (out === '' || out.length > MAX_ESCAPED_LOCK_PATH) {
    throw GasError.badArgument(`cannot lock "${path.slice(0, 80)}": a lock path must be 1..${MAX_ESCAPED_LOCK_PATH} bytes once escaped`, { path })
  }
  return out
}

export function unescapeLockPath (escaped: string): string | undefined {
  if (!/^(?:[A-Za-z0-9_+,-]|=[0-9A-F]{2})+$/.test(escaped)) return undefined
  const bytes: number[] = []
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] === '=') {
      bytes.push(parseInt(escaped.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(escaped.charCodeAt(i))
  }
  const text = Buffer.from(bytes).toString('utf8')
  // only the one escaping of each path is valid, so two refs never name one path
  return escapeLockPathOrUndefined(text) === escaped ? text : undefined
}

function escapeLockPathOrUndefined (path: string): string | undefined {
  try {
    return escapeLockPath(path)
  } catch {
    return undefined
  }
}

export function lockRefName (path: string, recordId: ObjectId): string {
  return `${LOCK_REF_PREFIX}${escapeLockPath(path)}/${recordId}`
}

/** refs/locks/<escaped>/<id> → its path and record id; undefined for anything else */
export function parseLockRef (name: string): { path: string, recordId: ObjectId } | undefined {
  if (!name.startsWith(LOCK_REF_PREFIX)) return undefined
  const parts = name.slice(LOCK_REF_PREFIX.length).split('/')
  if (parts.length !== 2 || !isObjectId(parts[1])) return undefined
  const path = unescapeLockPath(parts[0])
  return path === undefined ? undefined : { path, recordId: parts[1] }
}

export function isLockRef (name: string): boolean {
  return parseLockRef(name) !== undefined
}
