/** Runs once per `vitest run`: says which test media the run has, so skipped corpus tests are never silent. */
import { EXTRA_CORPUS, HAVE_EXTRA_CORPUS } from '../packages/core/test/helpers/env.js';

export default function setup(): void {
  if (HAVE_EXTRA_CORPUS) return;
  console.warn(
    `note: the optional larger media corpus is not at ${EXTRA_CORPUS} (set MONTU_CORPUS to use one); ` +
      'the tests over all of its files are skipped, the rest use test/corpus.',
  );
}
