/** The module loader of bug-hook.ts: rewrites the compiled module of the bug as it is loaded. */
import { BUG_REWRITES, rewrite, type SoakBug } from './bugs.ts';

let bug: SoakBug | null = null;

export function initialize(data: { readonly bug: SoakBug }): void {
  bug = data.bug;
}

interface LoadResult {
  readonly format?: string | null;
  readonly source?: string | ArrayBuffer | NodeJS.TypedArray | null;
}

export async function load(
  url: string,
  context: unknown,
  nextLoad: (url: string, context: unknown) => Promise<LoadResult>,
): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (bug === null || !url.endsWith(`/out/src/${BUG_REWRITES[bug].module}.js`)) return result;
  const source =
    typeof result.source === 'string'
      ? result.source
      : Buffer.from(result.source as Uint8Array).toString('utf8');
  return { ...result, source: rewrite(bug, source) };
}
