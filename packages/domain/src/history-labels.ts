/**
 * History entries in words (issue 21): `media.created` → "Version created". The one table every
 * surface (API, web, CLI, exports) reads, so an event is named the same everywhere.
 */
import type { HistoryEntry } from './types.js';

export const HISTORY_LABELS: Record<string, string> = {
  'media.created': 'Version created',
  'media.deleted': 'Version deleted',
  'media.archived': 'Version archived',
  'media.restored': 'Version restored',
  'media.info_updated': 'Details edited',
  'media.metadata_updated': 'Metadata edited',
  'media.status_changed': 'Status changed',
  'media.review_selected': 'Put forward for review',
  'media.review_unselected': 'No longer put forward for review',
  'annotation.created': 'Note added',
  'annotation.updated': 'Note edited',
  'annotation.deleted': 'Note deleted',
  'annotation.resolved': 'Note resolved',
  'annotation.reopened': 'Note reopened',
  'annotation.attachment_added': 'Image attached to a note',
  'file.missing': 'File missing from storage',
  'file.corrupt': 'File damaged in storage',
  'playlist.created': 'Playlist created',
  'playlist.updated': 'Playlist edited',
  'playlist.deleted': 'Playlist deleted',
  'playlist.items_added': 'Added to playlist',
  'playlist.item_removed': 'Removed from playlist',
  'playlist.reordered': 'Playlist reordered',
  'project.workflow_changed': 'Workflow changed',
  'membership.set': 'Project role set',
  'membership.removed': 'Project role removed',
  'user.created': 'User created',
  'user.updated': 'User edited',
  'user.deleted': 'User deleted',
  'token.created': 'API token created',
  'webhook.created': 'Webhook created',
  'webhook.updated': 'Webhook edited',
  'webhook.deleted': 'Webhook deleted',
};

/** What a status change did, by the workflow action that made it. */
const STATUS_ACTION_LABELS: Record<string, string> = {
  submit: 'Submitted for review',
  approve: 'Approved',
  request_changes: 'Changes requested',
  reject: 'Rejected',
  hold: 'Put on hold',
  reopen: 'Reopened',
};

/** An event name nobody labelled yet, in words: `media.foo_bar` → "Media foo bar". */
function words(action: string): string {
  const s = action.replace(/[._]+/g, ' ').trim();
  return s ? s[0]!.toUpperCase() + s.slice(1) : 'Change';
}

/**
 * The label of a history entry: a status change by its workflow action ("Approved", "Put on
 * hold"), any other entry by its event name; unknown names are spelled out, never dropped.
 */
export function historyLabel(
  entry: Pick<HistoryEntry, 'action'> & Partial<Pick<HistoryEntry, 'data'>>,
): string {
  if (entry.action === 'media.status_changed') {
    // History records the workflow action as `transition`; events carry it as `action`.
    const action = entry.data?.['transition'] ?? entry.data?.['action'];
    if (typeof action === 'string' && STATUS_ACTION_LABELS[action]) return STATUS_ACTION_LABELS[action];
  }
  return HISTORY_LABELS[entry.action] ?? words(entry.action);
}
