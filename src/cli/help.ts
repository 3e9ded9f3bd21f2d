import type { Command, Option } from 'commander'

/**
 * One option's help text: "(required)" on mandatory options, and its default said once. Commander
 * appends "(default: X)" to any option with a default value, so a description that already says its
 * default (in words a user reads better, e.g. "default: the workspace's") printed it twice.
 */
export function describeOption (option: Option): string {
  const description = option.description ?? ''
  const extra: string[] = []
  if (option.mandatory) extra.push('required')
  if (option.argChoices !== undefined) extra.push(`one of: ${option.argChoices.join(', ')}`)
  const saysDefault = /\bdefault\b/i.test(description)
  const value = option.defaultValue as unknown
  const emptyList = Array.isArray(value) && value.length === 0
  if (!saysDefault && value !== undefined && !emptyList && typeof value !== 'boolean') {
    extra.push(`default: ${option.defaultValueDescription ?? (typeof value === 'string' ? value : JSON.stringify(value))}`)
  }
  return extra.length === 0 ? description : `${description} (${extra.join(', ')})`.trim()
}

/** Applies the option formatting to a command and every subcommand below it (registered already). */
export function configureHelpTree (command: Command): void {
  command.configureHelp({ optionDescription: describeOption })
  for (const sub of command.commands) configureHelpTree(sub)
}
