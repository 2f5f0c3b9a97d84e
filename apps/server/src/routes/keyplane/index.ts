import { keyplane } from './dialect.js';
import { health } from './health.js';
import { openApiDocument } from './openapi-document.js';

export const keyplaneDialect = { dialect: keyplane, operations: [health, openApiDocument] };
