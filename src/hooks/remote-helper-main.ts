import { peerSecurity } from '../auth/peer-security.js'
import { GasError } from '../errors.js'
import { openGitWorkspace } from './git-workspace.js'
import { runRemoteHelper } from './remote-helper.js'
import { phaseLog } from './phase-log.js'

/**
 * bin/git-remote-gas: git runs `git-remote-gas <remote name> <url>` (url: gas://TEAM/REPO) with
 * GIT_DIR set to the local repository. The gas workspace is $GAS_WORKSPACE, `git config
 * gas.workspace` (for a clone: `git clone -c gas.workspace=DIR gas://…`), or the one around the
 * current directory. Errors go to stderr as every gas command prints them; git shows them.
 */
export async function gitRemoteGas (argv: string[]): Promise<number> {
  const [remoteName, url] = argv
  const phase = phaseLog('git-remote-gas')
  phase('started')
  try {
    if (url === undefined && remoteName === undefined) throw GasError.badArgument('usage: git-remote-gas <remote> <gas://TEAM/REPO> (git runs it for gas:// URLs)')
    const ws = await openGitWorkspace({ cwd: process.cwd() })
    phase('workspace open')
    try {
      await runRemoteHelper({
        ws,
        url: url ?? remoteName,
        remote: url === undefined ? undefined : remoteName,
        cwd: process.cwd(),
        input: process.stdin,
        output: process.stdout,
        trackers: [],
        security: peerSecurity(ws),
        log: (line) => { process.stderr.write(`${line}\n`) },
        phase
      })
    } finally {
      await ws.close()
      phase('workspace closed')
    }
    return 0
  } catch (err) {
    const gasErr = err instanceof GasError ? err : new GasError('E_IO', (err as Error)?.message ?? String(err))
    process.stderr.write(`gas: ${gasErr.code}: ${gasErr.message}\n`)
    return 1
  }
}
