import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

/* The repository's .npmrc: installs show their progress, and `npm run bench -- --json` keeps stdout for the JSON document. */
describe('.npmrc', () => {
  const npm = (args: string[]): { status: number | null, stdout: string, stderr: string } =>
    spawnSync('npm', args, { encoding: 'utf8', env: { ...process.env, npm_config_loglevel: undefined, npm_config_json: undefined } })

  it('does not silence npm (npm ci shows its progress and warnings)', () => {
    expect(npm(['config', 'get', 'loglevel']).stdout.trim()).not.toBe('silent')
  })

  it('prints npm run\'s "> script" banner on stderr, so a script\'s stdout is its own', () => {
    // an unknown --only makes the bench exit at once (status 2) without measuring anything
    const r = npm(['run', 'bench', '--', '--only', 'no-such-bench'])
    expect(r.stderr).toContain('> gameassetshare@0.1.0 bench')
    expect(r.stderr).toContain('bench: unknown benchmark "no-such-bench"')
    expect(r.stdout).not.toContain('> gameassetshare')
  })
})
