import { parseTagArgument } from '../objects/asset.js'

export { parseSize, parseRate } from '../units.js'

/** Commander collector for repeated --tag KEY=VALUE. */
export function collectTag (value: string, previous: Record<string, string> = {}): Record<string, string> {
  const [k, v] = parseTagArgument(value)
  return { ...previous, [k]: v }
}

export function collect (value: string, previous: string[] = []): string[] {
  return [...previous, value]
}
