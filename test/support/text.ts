/** UTF-8 both ways, and a byte stream read whole as text: what many tests compare with. */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

export async function collect (source: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  return text(new Uint8Array(Buffer.concat(parts)))
}
