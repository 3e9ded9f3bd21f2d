/** Public shapes of a preview; re-exported from index.ts. */
export interface PreviewImage { format: 'webp' | 'png', width: number, height: number, bytes: Uint8Array }
export interface PreviewClip { format: 'wav', bytes: Uint8Array }
export interface PreviewResult {
  kind: string
  format: string
  info: Record<string, unknown>
  image: PreviewImage | null
  clip: PreviewClip | null
  /** embedded metadata (EXIF, ID3, glTF asset, …), keys without the `meta.` tag prefix */
  meta?: Record<string, string>
}
/** What one kind's generator returns; index.ts adds kind and format. */
export type PreviewParts = Pick<PreviewResult, 'info' | 'image' | 'clip' | 'meta'>
export interface GenerateOpts { path: string, kind: string, format: string, size: number }
