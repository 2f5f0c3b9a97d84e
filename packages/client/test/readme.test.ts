import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { dialects } from '../src/index.js';

it('shows every helper of every dialect in the README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const missing = Object.entries(dialects).flatMap(([dialect, helpers]) =>
    Object.keys(helpers)
      .map((helper) => `${dialect}.${helper}(`)
      .filter((call) => !readme.includes(call)),
  );
  expect(missing).toEqual([]);
});
