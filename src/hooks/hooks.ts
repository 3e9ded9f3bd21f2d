import { GasError } from '../errors.js'
import { runGit, gitConfig } from './git-command.js'
import { openGitWorkspace } from './git-workspace.js'
import { lockedByOtherMember } from './pushed-locks.js'
import { DEFAULT_MAX_FILE_SIZE, describeViolations, parsePushedRefs, parseSize, prePush, type PrePushResult } from './pre-push.js'

/** `gas.hooks`: the pre-push hook, its installation, and the git remote helper. */
export { installHook, HOOK_MARKER, CHAINED_HOOK, type InstallHookOptions, type InstallHookResult } from './hook-install.js'
export { prePush, parsePushedRefs, parseLfsPointer, parseSize, DEFAULT_MAX_FILE_SIZE, type PrePushOptions, type PrePushResult, type PrePushViolation, type PushedRef } from './pre-push.js'
export { openGitWorkspace, GAS_WORKSPACE_ENV } from './git-workspace.js'

/**
 * The hook as git runs it: in the repository, with the remote's name and the pushed refs on stdin.
 * The size limit is `maxFileSize`, else `git config gas.maxFileSize`, else 10 MB. Throws
 * E_PUSH_REFUSED (its message lists each file and commit) when the push must not go on.
 */
export async function runPrePushHook (opts: { cwd: string, remoteName: string, stdin: string, maxFileSize?: number, env?: NodeJS.ProcessEnv }): Promise<PrePushResult> {
  const inRepo = await runGit(['rev-parse', '--absolute-git-dir'], { cwd: opts.cwd, allowFailure: true })
  if (inRepo.status !== 0) throw GasError.badArgument(`${opts.cwd} is not inside a git repository: git runs \`gas hook pre-push\` before a push, once \`gas hook install\` set it up there`)
  const gitDir = inRepo.stdout.trim()
  const configured = await gitConfig('gas.maxFileSize', opts.cwd)
  const maxFileSize = opts.maxFileSize ?? (configured !== undefined ? parseSize(configured) : DEFAULT_MAX_FILE_SIZE)
  const refs = parsePushedRefs(opts.stdin)
  const ws = await openGitWorkspace({ cwd: opts.cwd, env: opts.env })
  try {
    const result = await prePush({ ws, gitDir, remoteName: opts.remoteName, refs, maxFileSize, lockedBy: await lockedByOtherMember(ws, opts.cwd) })
    if (result.violations.length > 0) {
      throw new GasError('E_PUSH_REFUSED', describeViolations(result.violations, maxFileSize), { violations: result.violations })
    }
    return result
  } finally {
    await ws.close()
  }
}
export { runRemoteHelper, parseGasUrl, type RemoteHelperOptions, type GasUrl } from './remote-helper.js'
export { gitRemoteGas } from './remote-helper-main.js'
