/** The `?` overlay: every shortcut of the app, read from the one table (lib/shortcuts.ts). */
import { useEffect, useRef, useState } from 'react';
import { SHORTCUTS, SHORTCUT_GROUPS, keyCap, keyMap, type Shortcut } from '../lib/shortcuts.js';
import { useKeys } from '../lib/useKeys.js';

export function ShortcutsHelp() {
  const [open, setOpen] = useState(false);
  const closeRef = useRef<HTMLButtonElement>(null);
  const returnTo = useRef<Element | null>(null);
  useKeys(keyMap({ help: () => setOpen((o) => !o) }));
  useEffect(() => {
    if (open) {
      returnTo.current = document.activeElement;
      closeRef.current?.focus();
    } else if (returnTo.current instanceof HTMLElement) returnTo.current.focus();
  }, [open]);
  const button = (
    <button
      type="button"
      onClick={() => setOpen(true)}
      aria-keyshortcuts="?"
      title="Keyboard shortcuts (?)"
      aria-label="Keyboard shortcuts"
    >
      ?
    </button>
  );
  if (!open) return button;
  const all = Object.values(SHORTCUTS) as Shortcut[];
  return (
    <>
      {button}
      <div
        className="overlay-backdrop"
        onClick={(e) => e.target === e.currentTarget && setOpen(false)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            // Closing the overlay is all Escape does here (not the page's "put the tool down").
            e.preventDefault();
            e.stopPropagation();
            setOpen(false);
          }
        }}
      >
        <div className="shortcuts card" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title">
          <div className="viewer-head">
            <h2 id="shortcuts-title">Keyboard shortcuts</h2>
            <span className="spacer" />
            <button ref={closeRef} type="button" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
          <div className="shortcut-groups">
            {SHORTCUT_GROUPS.map(({ group, note }) => (
              <table key={group} className="shortcut-table">
                <caption>
                  {group}
                  {note && <span className="muted small"> — {note}</span>}
                </caption>
                <tbody>
                  {all
                    .filter((s) => s.group === group)
                    .map((s) => (
                      <tr key={s.label}>
                        <td>
                          {s.keys.map((k, i) => (
                            <span key={k}>
                              {i > 0 && ' / '}
                              <kbd>{keyCap(k)}</kbd>
                            </span>
                          ))}
                        </td>
                        <td>{s.label}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            ))}
          </div>
          <p className="muted small">
            Keys do nothing while you type in a field; arrows stay with a focused tab.
          </p>
        </div>
      </div>
    </>
  );
}
