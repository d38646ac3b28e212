/** How much of a field's length limit is used, so that the limit is seen rather than a silent cut. */
export function LengthHint({
  id,
  value,
  max,
}: {
  readonly id: string;
  readonly value: string;
  readonly max: number;
}) {
  const used = [...value].length;
  return (
    <span id={id} className={`length-hint small ${used >= max ? 'at-limit' : 'muted'}`} aria-live="polite">
      {used >= max ? `${max} characters: the most this can hold` : `${used} of ${max} characters`}
    </span>
  );
}
