import type { Workspace } from '../repo/workspace.js'
import { explainPath } from './explain.js'
import type { SyncPolicy } from './policy.js'

/** Why a sync left a path's content out of the workspace. */
export type SkipReason = 'selective-sync' | 'local-changes' | 'queued' | 'not-sent'

export interface SkippedPath { path: string, reason: SkipReason, detail: string }

/** The parts of a sync's outcome that name paths it did not bring up to date (peer-node's result fits it). */
export interface SyncOutcomePaths {
  checkout: { skipped: Array<{ path: string, reason: string }> } | null
  queued: { paths?: string[] }
  missingPaths: string[]
  /** peers whose connection ended during the sync: what they were sending is why content is missing */
  dropped?: Array<{ peer: string, code: string }>
}

/** The reason checkout gives for content it could not write because the store lacks it. */
const CONTENT_NOT_HERE = 'content not here (selective sync)'

/**
 * Every path a sync skipped, once, with why: content the rules leave out (and the rule), local work
 * that was kept, content queued for a transfer window, and content no peer sent (none holds it, or
 * its read rules deny it to this member's roles). A user then knows which of them to act on.
 */
export async function skippedPaths (ws: Workspace, outcome: SyncOutcomePaths, policy?: SyncPolicy): Promise<SkippedPath[]> {
  const byPath = new Map<string, SkippedPath>()
  for (const path of outcome.queued.paths ?? []) {
    byPath.set(path, { path, reason: 'queued', detail: 'queued for the next transfer window (`gas queue plan` says when)' })
  }
  const lost = [...new Set((outcome.dropped ?? []).map((d) => `${d.peer} (${d.code})`))]
  const notSent = lost.length > 0
    ? `not all of it arrived: the connection to ${lost.join(', ')} ended during the sync; \`gas sync\` again resumes from what arrived`
    : 'no peer asked sent it: none holds it, or the team\'s read rules deny it to your roles'
  for (const path of outcome.missingPaths) {
    if (!byPath.has(path)) byPath.set(path, { path, reason: 'not-sent', detail: notSent })
  }
  for (const { path, reason } of outcome.checkout?.skipped ?? []) {
    if (byPath.has(path)) continue
    if (reason !== CONTENT_NOT_HERE) {
      byPath.set(path, { path, reason: 'local-changes', detail: `${reason}: your file is kept` })
      continue
    }
    const decision = await explainPath(ws, { path, policy }).catch(() => undefined)
    byPath.set(path, decision === undefined || decision.wanted
      ? { path, reason: 'not-sent', detail: 'content not here: no peer sent it' }
      : { path, reason: 'selective-sync', detail: `${decision.reason} (\`gas fetch ${path}\` gets it now)` })
  }
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path))
}
