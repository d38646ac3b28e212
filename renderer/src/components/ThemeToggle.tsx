import { useEffect, useState } from 'react';

type Theme = 'light' | 'dark';
const KEY = 'synod-theme';

function initialTheme(): Theme {
  const saved = localStorage.getItem(KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Follows the system's light or dark theme until the user picks one. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  // A toggle that shows its state (pressed: dark), remembered for the next visit.
  return (
    <button
      type="button"
      className="ghost"
      aria-pressed={theme === 'dark'}
      onClick={() => {
        localStorage.setItem(KEY, next);
        setTheme(next);
      }}
    >
      Dark theme{theme === 'dark' ? ': on' : ': off'}
    </button>
  );
}
