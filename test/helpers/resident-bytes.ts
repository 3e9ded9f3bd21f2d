import { execFileSync } from 'node:child_process'

/** Bytes of `path` held in the page cache, as util-linux's fincore counts them */
export function residentBytes (path: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' }).trim())
}
