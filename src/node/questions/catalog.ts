import { z } from 'zod';
import { questionDefinitionSchema, type QuestionDefinition } from '../../model/question.ts';
import type { StateLogOptions } from '../../storage/index.ts';
import { FILES } from '../durable/data-dir.ts';

/** A question as this node keeps it: the shared definition, and when this node learned the outcome. */
export interface QuestionRecord {
  readonly id: string;
  readonly definition: QuestionDefinition;
  readonly decidedAt: number | null;
}

const recordSchema = z.object({
  id: z.string(),
  definition: questionDefinitionSchema,
  decidedAt: z.number().nullable(),
});

export function catalogOptions(create: boolean): StateLogOptions<QuestionRecord> {
  return { file: FILES.catalog, schema: recordSchema, create, what: 'the question catalog' };
}
