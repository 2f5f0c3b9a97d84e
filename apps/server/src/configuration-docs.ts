import { describeSettings } from './config.js';

/** Markers around the README's configuration table, which is generated from the settings. */
const TABLE_START = '<!-- configuration table: generated from apps/server/src/config.ts by `pnpm generate` -->';
const TABLE_END = '<!-- end of the configuration table -->';

const cell = (text: string) => text.replaceAll('|', '\\|');

/** The README's configuration table, between its markers. */
function configurationTable(): string {
  const rows = describeSettings().map(
    (setting) =>
      `| \`${setting.name}\` | ${cell(setting.default)} | ${cell(setting.bounds)} | ${cell(setting.meaning)} |`,
  );
  return [
    TABLE_START,
    '',
    '| variable | default | values | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
    TABLE_END,
  ].join('\n');
}

/** Replaces the configuration table of a README with the current one. */
export function withConfigurationTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error('the README has no configuration table markers');
  return `${readme.slice(0, start)}${configurationTable()}${readme.slice(end + TABLE_END.length)}`;
}

const plain = (text: string) => text.replaceAll('`', '');

/** `.env.example`: every setting, commented out at its default, with its meaning and values. */
export function environmentExample(): string {
  const blocks = describeSettings().map((setting) => {
    const example = /^`[^`]*`$/.test(setting.default) ? setting.default.slice(1, -1) : '';
    return [
      `# ${plain(setting.meaning)}`,
      `# values: ${plain(setting.bounds)}; default: ${plain(setting.default)}`,
      `# ${setting.name}=${example}`,
    ].join('\n');
  });
  return [
    '# keyplane server settings, generated from apps/server/src/config.ts by `pnpm generate`.',
    '# Every line is commented out: unset, a setting takes its default.',
    '',
    blocks.join('\n\n'),
    '',
  ].join('\n');
}

/** What `node main.js --help` prints. */
export function helpText(): string {
  const settings = describeSettings()
    .map((setting) =>
      [
        `  ${setting.name}`,
        `      ${plain(setting.meaning)}`,
        `      values: ${plain(setting.bounds)}; default: ${plain(setting.default)}`,
      ].join('\n'),
    )
    .join('\n');
  return [
    'keyplane: API keys over four published API dialects and one store.',
    '',
    'Usage: node main.js [--help]',
    '',
    'Configured by environment variables, read and checked once at start-up:',
    '',
    settings,
    '',
  ].join('\n');
}
