/**
 * Part of `pnpm generate`: writes the README's configuration table and `.env.example` from the
 * one declaration of every setting (src/config.ts). A test fails when either is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { environmentExample, withConfigurationTable } from '../src/configuration-docs.js';

const readme = new URL('../../../README.md', import.meta.url);
writeFileSync(readme, withConfigurationTable(readFileSync(readme, 'utf8')));
writeFileSync(new URL('../../../.env.example', import.meta.url), environmentExample());
