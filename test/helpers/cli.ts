import { spawn, spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { main } from '../../src/cli/main.js'

export const GAS_BIN = resolve('bin/gas')

export interface CliResult { status: number, stdout: string, stderr: string }

/** Runs the real `gas` binary as a user would (built dist/). */
export function gasSync (cwd: string, args: string[]): CliResult {
  const r = spawnSync(process.execPath, [GAS_BIN, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

export function gasSpawn (cwd: string, args: string[]): ReturnType<typeof spawn> {
  return spawn(process.execPath, [GAS_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Runs the CLI in this process (so coverage sees it), capturing what it prints. */
export async function gasInProcess (cwd: string, args: string[]): Promise<CliResult> {
  const before = process.cwd()
  const out: string[] = []
  const err: string[] = []
  const writeOut = process.stdout.write.bind(process.stdout)
  const writeErr = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((chunk: string) => { out.push(String(chunk)); return true }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string) => { err.push(String(chunk)); return true }) as typeof process.stderr.write
  process.exitCode = 0
  try {
    process.chdir(cwd)
    await main(args)
  } finally {
    process.chdir(before)
    process.stdout.write = writeOut
    process.stderr.write = writeErr
  }
  const status = Number(process.exitCode ?? 0)
  process.exitCode = 0
  return { status, stdout: out.join(''), stderr: err.join('') }
}
