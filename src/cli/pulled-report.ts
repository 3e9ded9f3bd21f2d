import type { ServePulled } from '../peer/sync/serve-pull.js'
import { formatBytes } from '../units.js'
import { lockedChangeLines } from './lock-report.js'
import type { Printer } from './output.js'

/**
 * Says what `gas serve` took from a member that connected with versions it lacked: the refs it
 * moved, what it fetched, and the workspace after (or why it could not). Text on stderr with the
 * other peer events; with --json one line on stdout: `{"peer", "state": "pulled", ...}`.
 */
export function pulledReporter (p: Printer): (pulled: ServePulled) => void {
  return ({ peer, result, error, checkedOut, lfsTaken, queueTaken }) => {
    if (checkedOut !== undefined) {
      if (p.json) return p.out(JSON.stringify({ peer, state: 'checked-out', checkout: { version: checkedOut.version, written: checkedOut.written.length, removed: checkedOut.removed.length, conflicts: checkedOut.conflicts.map((c) => c.path) } }))
      return p.err(`workspace now at ${checkedOut.version.slice(0, 12)}: ${checkedOut.written.length} written, ${checkedOut.removed.length} removed (${peer}'s versions, checked out once the workspace was free)${checkedOut.conflicts.map((c) => `\n  CONFLICT ${c.path}: changed by ${peer}, and ${c.local === 'staged' ? 'staged' : 'edited'} here; your file is kept, see \`gas conflicts\``).join('')}`)
    }
    if (p.json) {
      return p.out(JSON.stringify({
        peer,
        state: 'pulled',
        refs: result?.refs.filter((r) => r.action !== 'up-to-date') ?? [],
        fetched: result?.fetched ?? { objects: 0, bytes: 0 },
        checkout: result?.checkout === null || result?.checkout === undefined ? null : { version: result.checkout.version, written: result.checkout.written.length, removed: result.checkout.removed.length, conflicts: result.checkout.conflicts.map((c) => c.path) },
        merge: result?.merge ?? null,
        missing: result?.missing.length ?? 0,
        rejected: result?.rejected ?? [],
        lockedChanges: result?.lockedChanges ?? [],
        lfsTaken: lfsTaken ?? 0,
        queueTaken: queueTaken ?? 0,
        error: error?.toJSON() ?? result?.incomplete ?? null
      }))
    }
    if (result === undefined) {
      const then = error?.code === 'E_LOCKED' ? 'the files follow once the workspace is free, or their next sync offers them again' : 'their next sync offers them again'
      return p.err(`could not take ${peer}'s versions: ${error?.code ?? 'E_IO'}: ${error?.message ?? 'unknown error'} (${then})`)
    }
    const moved = result.refs.filter((r) => r.action === 'created' || r.action === 'fast-forward').map((r) => `${r.ref} ${r.action}`)
    const { checkout, merge } = result
    const merged = merge !== null && merge.error === null && merge.version !== null
    const waits = result.queued.items > 0
    const lfs = lfsTaken ?? 0
    const fromQueue = queueTaken ?? 0
    const headline = moved.length > 0 ? moved.join(', ') : merged ? 'into a merge' : waits ? 'their files wait for a transfer window' : lfs > 0 ? 'their Git LFS objects' : fromQueue > 0 ? 'the files that waited for a transfer window' : 'no ref moved'
    const lines = [`took ${peer}'s versions: ${headline}; fetched ${result.fetched.objects} objects (${formatBytes(result.fetched.bytes)})`]
    if (lfs > 0) lines.push(`  kept ${lfs} Git LFS object(s) of ${peer}'s: teammates' git pulls get them from here`)
    if (fromQueue > 0) lines.push(`  ${fromQueue} queued asset(s) of ${peer}'s arrived: they had waited for a transfer window`)
    // as a member's sync says it: the divergence first, then what became of it
    for (const c of result.conflicts) lines.push(`  ${c.ref} diverged from ${peer}: theirs recorded as ${c.remoteRef}`)
    if (merge !== null) lines.push(merge.error !== null ? `  not merged: ${merge.error}` : merge.same === true && merge.version !== null ? `  ${merge.from} is the same merge as ours: ${merge.version.slice(0, 12)} kept, no new version` : merge.version !== null ? `  merged ${merge.from} as ${merge.version.slice(0, 12)}` : `  merging ${merge.from}: ${merge.conflicts.length} conflict(s), see \`gas conflicts\``)
    if (checkout !== null) lines.push(`  workspace now at ${checkout.version.slice(0, 12)}: ${checkout.written.length} written, ${checkout.removed.length} removed`)
    for (const c of checkout?.conflicts ?? []) lines.push(`  CONFLICT ${c.path}: changed by ${peer}, and ${c.local === 'staged' ? 'staged' : 'edited'} here; your file is kept, see \`gas conflicts\``)
    lines.push(...lockedChangeLines(result))
    // their write rights, a forged record: kept out, as a sync here would
    for (const r of result.rejected) lines.push(`  ${r.ref} from ${r.peer} refused: ${r.code}: ${r.message}`)
    // a window closed at either end: the versions are known, the files and the ref move once it opens (`gas queue plan`)
    if (waits) lines.push(`  ${result.queued.items} asset(s) (${formatBytes(result.queued.bytes)}) queued for the next transfer window (${peer}'s or ours); their versions follow at a sync once the files are here`)
    if (result.incomplete !== null) lines.push(`  incomplete: ${result.missing.length} object(s) missing (the next sync brings them)`)
    p.err(lines.join('\n'))
  }
}
