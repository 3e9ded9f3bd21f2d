import type { Command } from 'commander'
import { stagePaths, type AddedAsset } from '../../repo/add.js'
import { checkRulesToAdd } from '../../sync/check-rules.js'
import { action } from '../action.js'
import { withWorkspace } from '../context.js'
import { OutputSpool } from '../output-spool.js'
import { collectTag } from '../parse.js'
import { fileProgress } from '../progress.js'
import { formatBytes } from '../../units.js'

/** One result as `printResult` would print it in the `added` list: a line, or with --json an element of the array. */
function formatted (a: AddedAsset, json: boolean): string {
  if (json) return JSON.stringify(a, null, 2).replace(/^/gm, '    ')
  return a.removed === true ? `removed   ${a.path}` : `${a.unchanged ? 'unchanged' : a.modified === true ? 'modified ' : 'added    '} ${a.path} (${a.kind}/${a.format}, ${formatBytes(a.size)})`
}

export function register (program: Command): void {
  program.command('add').description('stage files or folders (tags attach to each asset)').argument('<paths...>')
    .option('--tag <KEY=VALUE>', 'tag each asset (repeatable)', collectTag).option('-f, --force', 'add paths even if an ignore rule (.gasignore or built-in) matches them').option('--json', 'print JSON')
    .action(action(async (p, paths: string[], opts: { tag?: Record<string, string>, force?: boolean }) => {
      const bar = p.json ? undefined : fileProgress()
      // why a spool: the results of a 200 000-file add are printed once it succeeds (as one JSON
      // document with --json), without holding them all until then
      const spool = await OutputSpool.create()
      try {
        let first = true
        const onResult = async (a: AddedAsset): Promise<void> => {
          await spool.write(`${first ? '' : p.json ? ',\n' : '\n'}${formatted(a, p.json)}`)
          first = false
        }
        await withWorkspace(async (ws) => { await checkRulesToAdd(ws, { paths, cwd: process.cwd() }); await stagePaths(ws, { paths, tags: opts.tag, cwd: process.cwd(), force: opts.force, onProgress: bar?.onFile, onResult }) })
          .finally(() => bar?.stop())
        const print = (text: string): void => { process.stdout.write(text) }
        // the same bytes as printResult(p, { added }, lines): JSON.stringify(…, null, 2), or the lines when there are any
        if (p.json) print(first ? '{\n  "added": []\n}\n' : '{\n  "added": [\n')
        if (!first) {
          await spool.replay(print)
          print(p.json ? '\n  ]\n}\n' : '\n')
        }
      } finally {
        await spool.discard()
      }
    }))
}
