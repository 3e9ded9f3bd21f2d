import type { Command } from 'commander'
import { resolve } from 'node:path'
// why: loaded when the command runs, so commands that never touch peers, git or previews start without these modules
const hooks = async () => await import('../../hooks/hooks.js')
import { action } from '../action.js'
import { EXIT_FAILURE, printResult } from '../output.js'
import { isGasError } from '../../errors.js'

async function readStdin (): Promise<string> {
  const parts: Buffer[] = []
  for await (const part of process.stdin) parts.push(part as Buffer)
  return Buffer.concat(parts).toString('utf8')
}

export function register (program: Command): void {
  const hook = program.command('hook').description('git hooks: install the pre-push hook, or run it')
  hook.command('install').description('write .git/hooks/pre-push (an existing hook is kept and run after it)')
    .option('--lfs', 'also make git-lfs transfer through gas (gas lfs-agent)').option('--json', 'print JSON')
    .action(action(async (p, opts: { lfs?: boolean }) => {
      const ws = await (await hooks()).openGitWorkspace({ cwd: process.cwd() })
      try {
        const gasCommand = [process.execPath, resolve(process.argv[1])]
        const result = await (await hooks()).installHook({ ws, cwd: process.cwd(), lfs: opts.lfs, gasCommand })
        printResult(p, result, () => [
          `installed ${result.hook}${result.chained !== null ? ` (runs ${result.chained} after it)` : ''}`,
          ...(result.lfs ? ['git-lfs transfers through gas: lfs.standalonetransferagent = gas'] : [])
        ].join('\n'))
      } finally {
        await ws.close()
      }
    }))
  hook.command('pre-push').description('run by git before a push: refuse large untracked files, store LFS content in gas')
    .argument('[remote]', 'remote name (git passes it)').argument('[url]', 'remote URL (git passes it)')
    .option('--max-size <size>', 'largest file allowed outside LFS (default: git config gas.maxFileSize, else 10m)')
    .option('--json', 'print JSON')
    .action(action(async (p, remote: string | undefined, _url: string | undefined, opts: { maxSize?: string }) => {
      let result
      try {
        result = await (await hooks()).runPrePushHook({
          cwd: process.cwd(), remoteName: remote ?? 'origin', stdin: await readStdin(), maxFileSize: opts.maxSize !== undefined ? (await hooks()).parseSize(opts.maxSize) : undefined
        })
      } catch (err) {
        // the refusal lists one file per line, which the one-line error format would cut
        if (!isGasError(err, 'E_PUSH_REFUSED') || p.json) throw err
        p.err(`gas: E_PUSH_REFUSED: ${err.message}`)
        return EXIT_FAILURE
      }
      // git shows a hook's stderr; stdout would be mixed into git's own output
      if (p.json) printResult(p, result, () => '')
      else if (result.lfsStored.length > 0) p.err(`gas: stored ${result.lfsStored.length} LFS object(s) for peers: ${result.lfsStored.map((o) => o.path).join(', ')}`)
    }))
}
