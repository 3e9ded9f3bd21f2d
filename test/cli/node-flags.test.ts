import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GAS_NODE_FLAGS } from '../../src/cli/node-flags.js'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'gas')

describe('bin/gas', () => {
  it('starts node with GAS_NODE_FLAGS, through its own shebang', () => {
    expect(readFileSync(BIN, 'utf8').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${GAS_NODE_FLAGS.join(' ')}`)
    // run as a user does: the kernel reads the shebang (env -S splits the flags)
    const r = spawnSync(BIN, ['--version'], { encoding: 'utf8' })
    expect(r.status).toBe(0)
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })
})
