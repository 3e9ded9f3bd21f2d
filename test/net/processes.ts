import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { GAS_BIN } from '../helpers/cli.js'

/**
 * Real `gas` processes for network scenarios: a long-running command (serve, tracker, sync
 * without --once) whose output lines a test can wait for, and a free port to put a tracker on.
 */
export interface GasProcess {
  child: ChildProcess
  /** every line printed so far, stdout and stderr */
  lines: string[]
  /** resolves with the `nth` line (default the first; already printed or still to come) matching `pattern` */
  waitFor: (pattern: RegExp, timeoutMs?: number, nth?: number) => Promise<string>
  /** resolves with the exit status (or signal name) */
  exited: Promise<number | string>
  /** SIGTERM, then the exit status */
  stop: () => Promise<number | string>
}

export function startGas (cwd: string, args: string[]): GasProcess {
  const child = spawn(process.execPath, [GAS_BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const waiters: Array<{ pattern: RegExp, nth: number, resolve: (line: string) => void }> = []
  const matching = (pattern: RegExp): string[] => lines.filter((l) => pattern.test(l))
  const onText = (text: string): void => {
    for (const line of text.split('\n').filter((l) => l !== '')) {
      lines.push(line)
      for (const w of waiters.filter((w) => w.pattern.test(line) && matching(w.pattern).length >= w.nth)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(line)
      }
    }
  }
  child.stdout?.setEncoding('utf8').on('data', onText)
  child.stderr?.setEncoding('utf8').on('data', onText)
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000, nth = 1): Promise<string> => {
    const seen = matching(pattern)
    if (seen.length >= nth) return seen[nth - 1]
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${String(pattern)} (#${nth}) within ${timeoutMs} ms; got:\n${lines.join('\n')}`)), timeoutMs)
      waiters.push({ pattern, nth, resolve: (line) => { clearTimeout(timer); resolve(line) } })
      void exited.then(() => setTimeout(() => reject(new Error(`exited before printing ${String(pattern)}; got:\n${lines.join('\n')}`)), 100))
    })
  }
  return {
    child,
    lines,
    waitFor,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return await exited
    }
  }
}

/** A port nothing listens on right now (the OS picks it, we release it). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}
