import { httpHandler, ok } from '#shared/http.ts';
import { translateMessageRoute } from '../protocols.manifest.ts';
import { translatePorts } from './translate.composition.ts';
import { translate } from './translate.service.ts';

export const handler = httpHandler(translateMessageRoute, async ({ body }) => ok(await translate(translatePorts(), body)));
