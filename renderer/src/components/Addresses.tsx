/** Network addresses, one per line, in full (they are copied by hand into another laptop). */
export function Addresses({ list }: { readonly list: readonly string[] }) {
  if (list.length === 0) return <span className="muted">none known</span>;
  return (
    <ul className="addresses">
      {list.map((a) => (
        <li key={a}>
          <code>{a}</code>
        </li>
      ))}
    </ul>
  );
}
