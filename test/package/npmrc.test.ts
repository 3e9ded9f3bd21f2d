import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

/* The repository's npm settings: `npm ci` shows its progress and a human summary (issue 20). */
describe('npm settings in the repository', () => {
  const npm = (args: string[]): string =>
    spawnSync('npm', args, { encoding: 'utf8', env: { ...process.env, npm_config_loglevel: undefined, npm_config_json: undefined } }).stdout.trim()

  it('does not silence npm, nor turn its summaries into JSON', () => {
    expect(npm(['config', 'get', 'loglevel'])).not.toBe('silent')
    expect(npm(['config', 'get', 'json'])).toBe('false')
  })

  it('`npm run -s bench -- --json` keeps npm\'s banner off stdout, so stdout is the bench\'s alone', () => {
    // an unknown --only makes the bench exit at once (status 2) without measuring anything
    const r = spawnSync('npm', ['run', '-s', 'bench', '--', '--only', 'no-such-bench'], { encoding: 'utf8' })
    expect(r.stderr).toContain('bench: unknown benchmark "no-such-bench"')
    expect(r.stdout).toBe('')
  })
})
