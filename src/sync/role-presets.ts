import { parseRuleLine, type Rule } from './rules.js'

/**
 * What each role fetches with no rules file at all. A preset is a list of rules in the
 * `.gasrules` syntax; content no rule of it includes is not fetched (its metadata and previews
 * still are). Lead and admin fetch everything.
 */
export const ROLE_PRESETS: Record<string, string[]> = {
  // textures, models, materials and the source art they come from
  artist: [
    'include kind:texture',
    'include kind:model',
    'include ext:mat,mtl,sbsar,sbs,spp,psd,kra,xcf,exr,hdr,blend,ma,mb,max,ztl,zpr,usd,usda,usdc,abc'
  ],
  // audio and the middleware banks built from it
  sound: [
    'include kind:audio',
    'include ext:bank,bnk,wem,fspro,wproj,fev'
  ],
  // code, configs, engine scenes and prefabs; never raw source art or audio sources
  programmer: [
    'include kind:code',
    'include kind:document',
    'include ext:unity,prefab,asset,controller,anim,asmdef,asmref,inputactions,tscn,tres,godot,umap,uproject,uplugin,csproj,sln,toml,gradle,cmake,txt,md',
    'include ProjectSettings/',
    'include Packages/',
    'include Config/',
    'exclude ext:psd,kra,xcf,blend,ma,mb,max,ztl,zpr,spp,sbs',
    'exclude kind:audio'
  ],
  // builds only
  qa: [
    'include kind:build'
  ],
  lead: ['include **'],
  admin: ['include **']
}

const compiled = new Map<string, Rule[]>()

/** The preset's rules, compiled once per process. */
export function presetRules (role: string): Rule[] | undefined {
  const lines = ROLE_PRESETS[role]
  if (lines === undefined) return undefined
  let rules = compiled.get(role)
  if (rules === undefined) {
    rules = lines.map((line, i) => parseRuleLine(line, { file: `preset ${role}`, line: i + 1 }))
    compiled.set(role, rules)
  }
  return rules
}
