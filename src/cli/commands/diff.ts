import type { Command } from 'commander'
import { diffVersions, type AssetDiff, type DiffResult } from '../../repo/diff.js'
import { unstagedChanges } from '../../repo/status.js'
import { formatBytes } from '../../units.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { printResult } from '../output.js'

const shown = (v: unknown): string => v === null || v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v)

export function describeAssetDiff (a: AssetDiff): string {
  const size = a.change === 'modified' ? `${formatBytes(a.size.old ?? 0)} -> ${formatBytes(a.size.new ?? 0)}` : formatBytes((a.change === 'deleted' ? a.size.old : a.size.new) ?? 0)
  const kind = a.kind.old !== null && a.kind.new !== null && a.kind.old !== a.kind.new ? `${a.kind.old} -> ${a.kind.new}` : (a.kind.new ?? a.kind.old ?? '')
  const lines = [`${a.change.padEnd(9)}${a.path} (${kind}, ${size})`]
  for (const [k, v] of Object.entries(a.tags)) lines.push(`  tag ${k}: ${shown(v.old)} -> ${shown(v.new)}`)
  for (const [k, v] of Object.entries(a.preview)) lines.push(`  ${k}: ${shown(v.old)} -> ${shown(v.new)}`)
  if (a.chunks !== null && a.change !== 'deleted') lines.push(`  ${a.chunks.new} of ${a.chunks.total} chunks new (${formatBytes(a.chunks.newBytes)} to transfer)`)
  else if (a.chunks === null) lines.push('  chunks: content not here (selective sync)')
  return lines.join('\n')
}

export function register (program: Command): void {
  program.command('diff').description('per asset: size, kind, tags, preview facts and new chunk bytes between two versions (default: HEAD against what is staged)')
    .argument('[path]').option('--version <A..B>', 'A..B: two versions; A: that version against what is staged').option('--json', 'print JSON')
    .action(action(async (p, path: string | undefined, opts: { version?: string }) => {
      const result = await withWorkspace(async (ws): Promise<DiffResult & { notStaged?: { modified: string[], deleted: string[] } }> => {
        const diff = await diffVersions(ws, { path, range: opts.version, cwd: process.cwd() })
        if (opts.version?.includes('..') === true) return diff
        // why: the index is one side, and an edit not added is not in it; `gas diff` after an edit said "no differences" while `gas status` said modified
        const scope = path === undefined ? '' : ws.relativePath(path, process.cwd())
        const inScope = (p: string): boolean => scope === '' || p === scope || p.startsWith(`${scope}/`)
        const changes = await unstagedChanges(ws)
        return { ...diff, notStaged: { modified: changes.modified.filter(inScope), deleted: changes.deleted.filter(inScope) } }
      })
      printResult(p, result, () => [
        ...(result.assets.length === 0 ? ['no differences'] : result.assets.map(describeAssetDiff)),
        ...notStagedLines(result.notStaged)
      ].join('\n'))
    }))
}

/** Edits the comparison leaves out (it reads the index), named so that "no differences" is not taken for a clean workspace. */
function notStagedLines (notStaged: { modified: string[], deleted: string[] } | undefined): string[] {
  if (notStaged === undefined) return []
  const named = [...notStaged.modified.map((p) => `modified ${p}`), ...notStaged.deleted.map((p) => `deleted ${p}`)]
  if (named.length === 0) return []
  const shownNames = named.slice(0, 5).join(', ') + (named.length > 5 ? `, and ${named.length - 5} more` : '')
  return [`not staged, so not in this comparison (gas add PATH, then gas diff): ${shownNames}`]
}
