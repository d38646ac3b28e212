import { LIMITS } from '../../../src/model/limits.ts';
import { LengthHint } from './LengthHint.tsx';

/** An answer typed in (when a question takes answers not listed), with its length limit in view. */
export function OptionField(props: {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  readonly onChange: (value: string) => void;
}) {
  const hint = `${props.id}-limit`;
  return (
    <label className="field grow">
      <span>{props.label}</span>
      <input
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        maxLength={LIMITS.optionChars}
        aria-describedby={hint}
      />
      <LengthHint id={hint} value={props.value} max={LIMITS.optionChars} />
    </label>
  );
}
