import { IgnoreRules, type IgnoreVerdict } from './ignore-rules.js'
import { readIndex } from './staging-index.js'
import type { Workspace } from './workspace.js'
import { NESTED_REPOSITORY_MARK } from './workspace-walk.js'

/** One path's answer: ignored or not, by which rule; a tracked path is never ignored (as in git, rules apply to untracked files only). */
export interface CheckIgnoreResult extends IgnoreVerdict { tracked: boolean }

/** `gas check-ignore PATH...`: whether each path is ignored and which rule (a `.gasignore` line or a built-in group) decided. */
export async function checkIgnore (ws: Workspace, opts: { paths: string[], cwd?: string }): Promise<CheckIgnoreResult[]> {
  const rules = await IgnoreRules.load(ws.fs, ws.root)
  const entries = (await readIndex(ws.fs, ws.gasDir)).entries
  const out: CheckIgnoreResult[] = []
  for (const userPath of opts.paths) {
    const rel = ws.relativePath(userPath, opts.cwd)
    // a folder is matched as a folder (a `Library/` rule names folders only): said by a trailing slash or by the disk
    const isFolder = /[/\\]$/.test(userPath) || (await ws.fs.stat(ws.absolutePath(rel)).catch(() => undefined))?.isDirectory() === true
    if (entries[rel] !== undefined) { out.push({ path: rel, ignored: false, rule: null, tracked: true }); continue }
    const verdict = rules.explain(rel, isFolder)
    const repository = verdict.ignored ? undefined : await enclosingRepository(ws, rel, isFolder)
    out.push(repository === undefined ? { ...verdict, tracked: false } : { path: rel, ignored: true, rule: { pattern: `${repository}/${NESTED_REPOSITORY_MARK}`, source: 'built-in: another repository', line: null, negative: false }, tracked: false })
  }
  return out
}

/**
 * The folder (below the workspace root) holding NESTED_REPOSITORY_MARK that `rel` is in or is:
 * status and `gas add .` leave it out (workspace-walk.ts), so check-ignore says so too.
 */
async function enclosingRepository (ws: Workspace, rel: string, isFolder: boolean): Promise<string | undefined> {
  if (rel === '') return undefined
  const parts = rel.split('/')
  for (let depth = 1; depth <= (isFolder ? parts.length : parts.length - 1); depth++) {
    const folder = parts.slice(0, depth).join('/')
    if (await ws.fs.lstat(ws.absolutePath(`${folder}/${NESTED_REPOSITORY_MARK}`)).then(() => true, () => false)) return folder
  }
  return undefined
}
