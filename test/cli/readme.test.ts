import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildProgram } from '../../src/cli/main.js'
import { CLI_REFERENCE_FILE } from '../../src/cli/reference.js'

const readme = readFileSync('README.md', 'utf8')

describe('README', () => {
  it('links the CLI reference and API page inside the repository, never a path outside it', () => {
    expect(readme).toContain(`](${CLI_REFERENCE_FILE})`)
    expect(existsSync(CLI_REFERENCE_FILE)).toBe(true)
    for (const [, target] of readme.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)) {
      if (/^https?:/.test(target)) continue
      expect(target, `README links ${target}`).not.toMatch(/^\//)
      expect(existsSync(target), `README links ${target}, which the repository does not hold`).toBe(true)
    }
  })

  it('the LAN example starts the tracker where members on other machines reach it, as the tracker\'s default does', () => {
    expect(readme).toMatch(/gas tracker [^\n]*--host 0\.0\.0\.0/)
    const host = buildProgram().commands.find((c) => c.name() === 'tracker')?.options.find((o) => o.long === '--host')
    expect(host?.defaultValue).toBe('0.0.0.0')
    expect(readme).toContain('`gas tracker` listens on every interface by default')
  })
})
