/**
 * Time per phase of a git-started process (the remote helper, the LFS agent), printed on stderr
 * with GAS_DEBUG=1: git shows a helper's stderr, so a slow clone or pull says where its time went
 * (`GAS_DEBUG=1 git clone gas://…`). Milliseconds since the process started, and since the last mark.
 */
export type PhaseLog = (phase: string) => void

export function phaseLog (who: string, env: NodeJS.ProcessEnv = process.env, write: (line: string) => void = (line) => { process.stderr.write(line) }): PhaseLog {
  if (env.GAS_DEBUG !== '1') return () => {}
  let last = performance.now()
  return (phase) => {
    const now = performance.now()
    write(`${who}: ${phase} at ${Math.round(now)} ms (+${Math.round(now - last)} ms)\n`)
    last = now
  }
}
