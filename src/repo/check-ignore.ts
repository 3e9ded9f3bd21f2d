import { IgnoreRules, type IgnoreVerdict } from './ignore-rules.js'
import { readIndex } from './staging-index.js'
import type { Workspace } from './workspace.js'

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
    out.push({ ...rules.explain(rel, isFolder), tracked: false })
  }
  return out
}
