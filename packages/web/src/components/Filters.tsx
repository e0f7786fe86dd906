import { APPROVAL_STATUSES as STATUSES, MEDIA_TYPES, STATUS_LABELS } from '@montu/domain';
import { useRef } from 'react';
import type { BrowserFilters } from '../lib/search-params.js';
import { keyMap } from '../lib/shortcuts.js';
import { useKeys } from '../lib/useKeys.js';

/** The filter form edits the browser's filters as they stand in the address (lib/search-params.ts). */
export type FilterState = BrowserFilters;

export function Filters({ value, onChange }: { value: FilterState; onChange: (v: FilterState) => void }) {
  const set = (k: keyof FilterState) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    onChange({ ...value, [k]: e.target.value });
  const search = useRef<HTMLInputElement>(null);
  useKeys(keyMap({ search: () => search.current?.focus() }));
  return (
    <form className="filters" role="search" aria-label="Filter media" onSubmit={(e) => e.preventDefault()}>
      <input
        type="search"
        aria-label="Search"
        placeholder="Search tasks, files, descriptions… (/)"
        value={value.query}
        onChange={set('query')}
        ref={search}
        aria-keyshortcuts="/"
      />
      <select aria-label="Status" value={value.status} onChange={set('status')}>
        <option value="">Any status</option>
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {STATUS_LABELS[s]}
          </option>
        ))}
      </select>
      <select aria-label="Type" value={value.mediaType} onChange={set('mediaType')}>
        <option value="">Any type</option>
        {MEDIA_TYPES.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
      <input
        aria-label="Author"
        placeholder="Author"
        value={value.author}
        onChange={set('author')}
        size={10}
      />
      <input aria-label="Tags" placeholder="Tags" value={value.tags} onChange={set('tags')} size={10} />
      <input aria-label="From date" type="date" value={value.dateFrom} onChange={set('dateFrom')} />
      <input aria-label="To date" type="date" value={value.dateTo} onChange={set('dateTo')} />
    </form>
  );
}
