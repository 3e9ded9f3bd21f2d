import { findIndexEntry } from '../repo/index-stream.js'
import type { Workspace } from '../repo/workspace.js'
import { RULES_FILE, parseRules } from './rules.js'
import { readStoredText } from './workspace-policy.js'

/**
 * `gas add` of the rules file: parses it from disk first, so a bad one is refused (E_BAD_RULES
 * with file, line and reason) before it is staged.
 */
export async function checkRulesToAdd (ws: Workspace, opts: { paths: string[], cwd?: string }): Promise<void> {
  const covers = opts.paths.some((p) => {
    const rel = ws.relativePath(p, opts.cwd)
    return rel === '' || rel === RULES_FILE
  })
  if (!covers) return
  const text = await ws.fs.readFile(ws.absolutePath(RULES_FILE), 'utf8').catch(() => undefined)
  if (text !== undefined) parseRules(text)
}

/** `gas commit`: the staged rules file must parse (it may have been staged before this check existed, or through the API). */
export async function checkStagedRules (ws: Workspace): Promise<void> {
  const entry = await findIndexEntry(ws.fs, ws.gasDir, RULES_FILE)
  if (entry === undefined) return
  const text = await readStoredText(ws, entry.meta.file)
  if (text !== undefined) parseRules(text)
}
