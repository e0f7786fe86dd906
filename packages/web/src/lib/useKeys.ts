/** Page-level keyboard shortcuts; ignored while typing in a field and for arrows in a tab list. */
import { useEffect, useRef } from 'react';

export type KeyMap = Record<string, (e: KeyboardEvent) => void>;

/**
 * Key names: `ArrowLeft`, `shift+ArrowLeft`, `ctrl+z`, ` ` (space), `k`, `shift+a`. Shift is named
 * for letters and named keys only: `?` and `+` already are the shifted character.
 */
export function keyName(e: KeyboardEvent): string {
  const printable = e.key.length === 1;
  const k = printable ? e.key.toLowerCase() : e.key;
  const shift = e.shiftKey && (!printable || /[a-z]/i.test(e.key));
  return `${e.ctrlKey || e.metaKey ? 'ctrl+' : ''}${e.altKey ? 'alt+' : ''}${shift ? 'shift+' : ''}${k}`;
}

/** Widgets whose arrow keys are their own (WAI-ARIA): arrows there never reach the page's keys. */
const ARROW_ROLES = new Set(['tab', 'slider', 'listbox', 'option', 'radio', 'menuitem', 'spinbutton']);

/** True when the key should be left to the focused element (typing, or arrows in a widget). */
export function keyBelongsToFocus(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t || typeof t.getAttribute !== 'function') return false;
  if (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)
    return true;
  return e.key.startsWith('Arrow') && ARROW_ROLES.has(t.getAttribute('role') ?? '');
}

export function useKeys(map: KeyMap): void {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || keyBelongsToFocus(e)) return;
      const fn = ref.current[keyName(e)];
      if (fn) {
        e.preventDefault();
        fn(e);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
