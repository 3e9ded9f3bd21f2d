/** One benchmark figure, printed next to what it is compared with and the floor it must meet. */
export interface Figure {
  name: string
  value: number
  unit: string
  /** what the figure is compared with, measured in the same run */
  compare?: { name: string, value: number, unit: string }
  /** the floor from the issue, in words, e.g. ">= 2.5x casync" */
  floor?: string
  /** whether the floor is met (undefined when there is no floor) */
  pass?: boolean
}

export function formatFigure (f: Figure): string {
  // why: a failed figure is NaN, which reaches the parent process through JSON as null
  const round = (n: number | null): string => n === null || !Number.isFinite(n) ? 'n/a' : Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2)
  const cmp = f.compare !== undefined ? `  vs ${f.compare.name}: ${round(f.compare.value)} ${f.compare.unit}` : ''
  const floor = f.floor !== undefined ? `  [floor ${f.floor}: ${f.pass === true ? 'PASS' : 'FAIL'}]` : ''
  return `${f.name}: ${round(f.value)} ${f.unit}${cmp}${floor}`
}
