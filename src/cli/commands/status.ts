import type { Command } from 'commander'
import { workspaceStatus, type WorkspaceStatus } from '../../repo/status.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'
import { formatWallClock } from '../../repo/lock-format.js'

function section (title: string, lines: string[]): string[] {
  return lines.length === 0 ? [] : [title, ...lines.map((l) => `  ${l}`)]
}

function describe (s: WorkspaceStatus, timeZone: string): string {
  const lines = [`on branch ${s.branch}${s.head !== null ? ` at ${s.head.slice(0, 12)}` : ', no version yet'}`]
  for (const p of s.peers) {
    if (p.arriving !== undefined) {
      const id = p.arriving.slice(0, 12)
      lines.push(`peer ${p.peer}: their head ${id} is arriving (\`gas sync\` pid ${p.syncPid} is fetching its content); its history and previews are here: \`gas log --rev ${id}\`, \`gas preview PATH --version ${id}\``)
      continue
    }
    if (p.pending !== undefined) {
      lines.push(`peer ${p.peer}: their head ${p.pending.slice(0, 12)} is not all here yet (the last sync with them did not complete: \`gas sync\`)`)
      continue
    }
    const where = p.ahead === null || p.behind === null ? 'history not here yet' : p.ahead === 0 && p.behind === 0 ? 'up to date' : `${p.ahead} ahead, ${p.behind} behind`
    lines.push(`peer ${p.peer}: ${where} (their head ${p.head.slice(0, 12)})`)
  }
  if (s.serve !== null) lines.push(`serving: \`gas serve\` pid ${s.serve.pid} since ${formatWallClock(Date.parse(s.serve.since), timeZone)}`)
  lines.push(
    ...section('conflicts (gas resolve PATH --take ours|theirs|VERSION):', s.conflicted),
    ...section('changes to be committed:', s.staged.map((c) => `${`${c.change}:`.padEnd(10)}${c.path}`)),
    ...section('changes not staged (gas add PATH):', [...s.modified.map((p) => `modified: ${p}`), ...s.deleted.map((p) => `deleted:  ${p}`)]),
    ...section('untracked (gas add PATH, or a .gasignore rule):', s.untracked),
    ...section('not fetched here (selective sync; gas fetch PATH):', s.notFetched),
    ...section('locked:', s.locked.map((l) => `${l.path} by ${l.mine ? 'you' : l.holder}${l.expires !== null ? ` until ${formatWallClock(Date.parse(l.expires), timeZone)}` : ''}`))
  )
  const clean = s.staged.length + s.modified.length + s.deleted.length + s.untracked.length + s.conflicted.length === 0
  if (clean) lines.push('nothing to commit, workspace clean')
  return lines.join('\n')
}

export function register (program: Command): void {
  program.command('status').description('staged, modified, deleted, untracked, conflicted, not fetched and locked paths; distance to each peer\'s head')
    .option('--json', 'print JSON')
    .action(action(async (p) => {
      // the lock times in the member's zone, as `gas locks` prints them (the JSON keeps ISO UTC)
      const { status, timeZone } = await withWorkspace(async (ws) => ({ status: await workspaceStatus(ws), timeZone: ws.config.timeZone }))
      printResult(p, status, () => describe(status, timeZone))
    }))
}
