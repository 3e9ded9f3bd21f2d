import { GasError } from '../errors.js'

/**
 * Which names a tree entry may carry: every one must be checked out the same on Linux, macOS and
 * Windows, so a teammate's tree can never write outside the workspace, into the store, or over
 * another entry. Refused (E_PATH_ESCAPE, naming the entry):
 * - empty, `.`, `..`, anything with `/`, `\`, NUL or another control character;
 * - what Windows cannot create or silently renames: `< > : " | ? *`, a trailing dot or space,
 *   and its reserved device names (CON, PRN, AUX, NUL, COM1–9, LPT1–9, with or without extension);
 * - the store folder `.gas` under any spelling that folds to it on macOS or Windows.
 * Two entries of one tree that fold to the same name (case, Unicode normalization) are refused by
 * `checkEntryNames`: on a case-insensitive checkout one would overwrite the other.
 * why hand-written: git's own rules (verify_path, is_ntfs_dotgit) are C inside git, not a library.
 */

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³]|conin\$|conout\$)$/
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARACTERS = /[\x00-\x1f<>:"|?*\\/]/
/** code points macOS (HFS+) ignores when comparing names, as git's is_hfs_dotgit does */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g

/** The name two entries collide under on a case-insensitive, normalizing file system. */
export function foldedName (name: string): string {
  return name.normalize('NFC').replace(HFS_IGNORED, '').toLowerCase()
}

function refuse (name: string, why: string, path?: string): GasError {
  const where = path === undefined || path === '' ? '' : ` in ${path}/`
  return new GasError('E_PATH_ESCAPE', `tree entry ${JSON.stringify(name)}${where} is not allowed: ${why}; rename it on the machine that added it`, { name, ...(path !== undefined ? { path } : {}) })
}

/** Throws E_PATH_ESCAPE when `name` is not a portable, safe entry name. `path`: the folder it is in, for the message. */
export function checkEntryName (name: string, path?: string): void {
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..') throw refuse(String(name), 'empty, "." or ".."', path)
  const bad = FORBIDDEN_CHARACTERS.exec(name)
  if (bad !== null) throw refuse(name, `it holds ${JSON.stringify(bad[0])}, which is a path separator or cannot be created on Windows`, path)
  if (/[. ]$/.test(name)) throw refuse(name, 'Windows drops a trailing dot or space, so it would check out under another name', path)
  const folded = foldedName(name)
  if (folded === '.gas' || folded.startsWith('.gas.') || folded.replace(/[. ]+$/, '') === '.gas') throw refuse(name, 'it names the store folder', path)
  const base = folded.split('.')[0].replace(/ +$/, '')
  if (WINDOWS_RESERVED.test(base)) throw refuse(name, `${base.toUpperCase()} is a device name reserved on Windows`, path)
}

/** Checks every name, and that no two fold to the same name (they would overwrite each other on macOS and Windows). */
export function checkEntryNames (names: Iterable<string>, path?: string): void {
  const seen = new Map<string, string>()
  for (const name of names) {
    checkEntryName(name, path)
    const folded = foldedName(name)
    const other = seen.get(folded)
    if (other !== undefined) throw refuse(name, `it differs from ${JSON.stringify(other)} only in case or Unicode form, and the two would overwrite each other on macOS and Windows`, path)
    seen.set(folded, name)
  }
}

/** Checks each component of a '/'-separated workspace path, and the case-folded collisions between paths. */
export function checkPortablePaths (paths: Iterable<string>): void {
  const seen = new Map<string, string>()
  for (const path of paths) {
    const parts = path.split('/')
    parts.forEach((part, i) => checkEntryName(part, parts.slice(0, i).join('/')))
    const folded = parts.map(foldedName)
    // every prefix: "Art/a.png" and "art/b.png" put "Art" and "art" side by side in one tree
    for (let i = 1; i <= parts.length; i++) {
      const key = folded.slice(0, i).join('/')
      const spelled = i === parts.length ? path : parts.slice(0, i).join('/')
      const other = seen.get(key)
      if (other !== undefined && other !== spelled) throw refuse(parts[i - 1], `it differs from ${JSON.stringify(other)} only in case or Unicode form, and the two would overwrite each other on macOS and Windows`, parts.slice(0, i - 1).join('/'))
      // why the path's own string as key where folding leaves it as is: a 200 000-file add held two new strings a path here
      if (other === undefined) seen.set(key === spelled ? spelled : key, spelled)
    }
  }
}

/** `err` from decoding the tree `treeId` at `path`: a refused entry name is re-raised naming the folder it is in. */
export function atTreePath (err: unknown, path: string, treeId: string): unknown {
  if (!(err instanceof GasError) || err.code !== 'E_PATH_ESCAPE' || path === '' || err.data.path !== undefined) return err
  const name = String(err.data.name)
  return new GasError('E_PATH_ESCAPE', err.message.replace(JSON.stringify(name), `${JSON.stringify(name)} in ${path}/`), { ...err.data, path, tree: treeId })
}
