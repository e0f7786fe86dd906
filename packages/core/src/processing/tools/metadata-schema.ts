/**
 * Holds every metadata write to the wire schema of `Media.metadata` (`MediaMetadataSchema`, in
 * @montu/domain's wire contract), so no stored value can break an answer.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { Static } from '@sinclair/typebox';
import { ValidationError } from '@montu/domain';
import { MediaMetadataSchema } from '@montu/domain/wire';
import type { MediaMetadata } from './metadata.js';

// The probe's output must fit the schema, field for field (or serialising it would fail).
type Fits<T> = T extends Static<typeof MediaMetadataSchema> ? true : false;
type Undeclared = Exclude<keyof MediaMetadata, keyof Static<typeof MediaMetadataSchema>>;
const probeOutputFits: Fits<MediaMetadata> & ([Undeclared] extends [never] ? true : false) = true;
void probeOutputFits;

let validate: ValidateFunction | undefined;

/** Refuses metadata that does not fit the schema, naming the first field that does not. */
export function checkMetadata(metadata: Record<string, unknown>): void {
  validate ??= new Ajv({ allowUnionTypes: true, strict: false }).compile(MediaMetadataSchema);
  if (validate(metadata)) return;
  const e = validate.errors?.[0];
  const where = `metadata${(e?.instancePath ?? '').replace(/\//g, '.')}`;
  throw new ValidationError(`${where} ${e?.message ?? 'is not valid'} (docs/media-processing.md).`, {
    field: where,
  });
}
