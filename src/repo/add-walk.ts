import { join } from 'node:path'
import { GasError, fromFsError } from '../errors.js'
import { checkPortablePaths } from '../objects/entry-name.js'
import type { AddedAsset } from './add.js'
import { ENGINES, detectEngineOnDisk, type EngineName } from './engine.js'
import { IgnoreRules } from './ignore-rules.js'
import { entryOfLine, pathOfLine, streamIndex } from './index-stream.js'
import { corruptIndex } from './staging-index.js'
import { GAS_DIR, type Workspace } from './workspace.js'
import { NESTED_REPOSITORY_MARK } from './workspace-walk.js'

function inScope (path: string, scope: string): boolean {
  return scope === '' || path === scope || path.startsWith(`${scope}/`)
}

/**
 * Which files of a folder `gas add` leaves out: those an ignore rule matches, unless tracked already
 * (as git keeps tracking an ignored file it tracks). Null with `--force`.
 */
interface Skip { rules: IgnoreRules, tracked: Set<string>, trackedFolders: Set<string> }

function skipped (skip: Skip | null, path: string, isFolder: boolean): boolean {
  if (skip === null || (isFolder ? skip.trackedFolders.has(path) : skip.tracked.has(path))) return false
  return skip.rules.ignores(path, isFolder)
}

/** Expands folders into the files below them (workspace-relative), skipping the store itself. */
async function expand (ws: Workspace, relPath: string, named = false, engine: EngineName | null = null, skip: Skip | null = null): Promise<string[]> {
  const abs = ws.absolutePath(relPath)
  let st
  try {
    st = await ws.fs.lstat(abs)
  } catch (err) {
    throw fromFsError(err, relPath === '' ? '.' : relPath)
  }
  // links could point outside the workspace; assets are files. Skipped in folders, refused when named.
  if (st.isSymbolicLink()) {
    if (named) throw GasError.badArgument(`${relPath} is a symbolic link; add the file it points to`, { path: relPath })
    return []
  }
  if (st.isFile()) return [relPath]
  if (!st.isDirectory()) return []
  const out: string[] = []
  const names = (await ws.fs.readdir(abs)).sort()
  // another repository (a git clone inside the workspace): its files are git's, added only when the folder is named
  if (!named && names.includes(NESTED_REPOSITORY_MARK)) return out
  for (const name of names) {
    if (relPath === '' && name === GAS_DIR) continue
    // why: engine caches (Unity Library/, Unreal Intermediate/, Godot .godot/…) are rebuilt from the sources; never tracked unless named
    if (relPath === '' && engine !== null && ENGINES[engine].cacheFolders.includes(name)) continue
    const child = relPath === '' ? name : `${relPath}/${name}`
    if (skip !== null && skipped(skip, child, (await ws.fs.lstat(ws.absolutePath(child)).catch(() => undefined))?.isDirectory() === true)) continue
    // why: a spread of a folder's 200 000 paths overflows the call stack
    for (const path of await expand(ws, child, false, null, skip)) out.push(path)
  }
  return out
}

/** Every path the index tracks, sorted (only the paths: the entries are read again as needed). */
async function readTrackedPaths (ws: Workspace): Promise<string[]> {
  const paths: string[] = []
  for await (const line of (await streamIndex(ws.fs, ws.gasDir)).lines) {
    const path = pathOfLine(line)
    if (paths.length > 0 && !(paths[paths.length - 1] < path)) throw corruptIndex()
    paths.push(path)
  }
  return paths
}

async function ignoreSkip (ws: Workspace, trackedPaths: string[]): Promise<Skip> {
  const trackedFolders = new Set<string>()
  for (const path of trackedPaths) {
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) trackedFolders.add(path.slice(0, i))
  }
  return { rules: await IgnoreRules.load(ws.fs, ws.root), tracked: new Set(trackedPaths), trackedFolders }
}

/** A path named on the command line that an ignore rule matches is refused, as `git add` refuses it, naming the rule and `-f`. */
function refuseIgnored (rules: IgnoreRules, rel: string, isFolder: boolean): void {
  const verdict = rules.explain(rel, isFolder)
  if (!verdict.ignored || verdict.rule === null) return
  const where = verdict.rule.line === null ? verdict.rule.source : `${verdict.rule.source}:${verdict.rule.line}`
  throw new GasError('E_IGNORED', `${rel} is ignored by "${verdict.rule.pattern}" (${where}); \`gas add -f ${rel}\` adds it anyway`, { path: rel, pattern: verdict.rule.pattern, source: where })
}

/**
 * The files `gas add PATHS` covers, sorted and each once (folders expanded, ignored and engine-cache
 * files left out, named paths checked), and the tracked files under the named paths that are gone
 * from disk (their removal results, in index order). Returned from a function of its own so that
 * what the walk held (listings, the ignore cache, the case-folding map) is garbage once it returns.
 */
export async function walkForAdd (ws: Workspace, opts: { paths: string[], cwd?: string, force?: boolean }): Promise<{ paths: string[], removed: AddedAsset[] }> {
  const trackedPaths = await readTrackedPaths(ws)
  const files = new Set<string>()
  const scopes: string[] = []
  const engine = await detectEngineOnDisk(ws.fs, ws.root)
  const skip = opts.force === true ? null : await ignoreSkip(ws, trackedPaths)
  for (const p of opts.paths) {
    const rel = ws.relativePath(p, opts.cwd)
    const tracked = trackedPaths.some((path) => inScope(path, rel))
    if (skip !== null && rel !== '' && !tracked) refuseIgnored(skip.rules, rel, (await ws.fs.lstat(ws.absolutePath(rel)).catch(() => undefined))?.isDirectory() === true)
    let found: string[]
    try {
      found = await expand(ws, rel, true, engine, skip)
    } catch (err) {
      // a tracked file or folder deleted from disk: adding it stages the deletion, as `git add` does
      if (!(err instanceof GasError && err.code === 'E_NOT_FOUND' && tracked)) throw err
      found = []
    }
    for (const f of found) files.add(f)
    scopes.push(rel)
  }
  // why: a name Windows or macOS cannot check out (CON.txt, a case-only twin) is refused here, before anything is stored, not at commit
  checkPortablePaths([...trackedPaths, ...files])
  const removed: AddedAsset[] = []
  for await (const line of (await streamIndex(ws.fs, ws.gasDir)).lines) {
    const path = pathOfLine(line)
    if (files.has(path) || !scopes.some((scope) => inScope(path, scope))) continue
    const entry = entryOfLine(line)
    // mtimeMs -1: tracked without content here (selective sync), which is not a deletion
    if (entry.mtimeMs === -1) continue
    if (await ws.fs.lstat(join(ws.root, path)).then(() => true, () => false)) continue
    removed.push({ path, asset: entry.asset, size: entry.meta.size, kind: entry.meta.kind, format: entry.meta.format, newChunks: 0, unchanged: false, removed: true })
  }
  return { paths: [...files].sort(), removed }
}
