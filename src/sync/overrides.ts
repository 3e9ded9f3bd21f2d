import type { HistoryContent } from '../repo/config.js'
import type { Workspace } from '../repo/workspace.js'
import { parseRuleLine, type RuleAction } from './rules.js'

/**
 * `gas sync include|exclude PATTERN`: local overrides of `.gasrules`, kept in this workspace's
 * config (never shared) and applied after every team rule. A pattern is anything a rule line
 * takes (a glob, folder/, kind:, ext:, tag:, size>N; several: all must match).
 */
export async function addOverride (ws: Workspace, opts: { action: RuleAction, pattern: string }): Promise<string[]> {
  const line = `${opts.action} ${opts.pattern.trim()}`
  const overrides = ws.config.selective?.overrides ?? []
  // checked now, so a bad pattern never reaches the config (E_BAD_RULES with the reason)
  parseRuleLine(line, { file: 'local', line: overrides.length + 1 })
  ws.config = { ...ws.config, selective: { ...ws.config.selective, overrides: [...overrides, line] } }
  await ws.saveConfig()
  return ws.config.selective?.overrides ?? []
}

/** Removes every local override (`gas sync include --clear`). */
export async function clearOverrides (ws: Workspace): Promise<void> {
  ws.config = { ...ws.config, selective: { ...ws.config.selective, overrides: [] } }
  await ws.saveConfig()
}

/**
 * `gas sync history all|current`: whether this workspace keeps every stored version's content
 * (an archive or build machine that must restore old versions with no peer online) or only what
 * the versions refs name need (the default; older versions come on demand).
 */
export async function setHistoryContent (ws: Workspace, history: HistoryContent): Promise<HistoryContent> {
  ws.config = { ...ws.config, selective: { overrides: ws.config.selective?.overrides ?? [], history } }
  await ws.saveConfig()
  return history
}

export function historyContentOf (ws: Workspace): HistoryContent {
  return ws.config.selective?.history ?? 'current'
}
