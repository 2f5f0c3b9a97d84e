/** Items rendered between two turns of the event loop: a few milliseconds of work. */
const SLICE = 250;

const MARKER = '\u0000the list\u0000';

const nextTurnOfTheEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A body already written out as JSON, which `jsonResponse` sends as it is. */
export class JsonText {
  constructor(readonly text: string) {}
}

/**
 * `body` written as `JSON.stringify` writes it (with `pretty`, as `JSON.stringify(body, null, 2)`
 * and a newline), its list `field` made of `items` rendered a slice at a time, with a turn of
 * the event loop between slices. A whole organization's keys take a tenth of a second and more
 * to render in one go, and every other request would wait that long.
 *
 * The answer stands for the body it renders (it is a `JsonText`), so that the handler's body
 * is still checked against the contract.
 */
export async function renderInSlices<Body extends object, Item>(
  body: Body,
  field: keyof Body & string,
  items: readonly Item[],
  render: (item: Item) => unknown,
  pretty: boolean,
): Promise<Body> {
  const envelope = pretty
    ? `${JSON.stringify({ ...body, [field]: MARKER }, null, 2)}\n`
    : JSON.stringify({ ...body, [field]: MARKER });
  const at = envelope.indexOf(JSON.stringify(MARKER));
  // Pretty, the list's items sit one level deeper than its own property.
  const indent = pretty
    ? ' '.repeat(at - envelope.lastIndexOf('\n', at) - 1 - `${JSON.stringify(field)}: `.length)
    : '';
  const inner = `${indent}  `;
  const parts: string[] = [];
  for (let from = 0; from < items.length; from += SLICE) {
    if (from > 0) await nextTurnOfTheEventLoop();
    for (const item of items.slice(from, from + SLICE)) {
      const rendered = render(item);
      parts.push(
        pretty ? inner + JSON.stringify(rendered, null, 2).replaceAll('\n', `\n${inner}`) : JSON.stringify(rendered),
      );
    }
  }
  let list = '[]';
  if (parts.length > 0) list = pretty ? `[\n${parts.join(',\n')}\n${indent}]` : `[${parts.join(',')}]`;
  const text = envelope.slice(0, at) + list + envelope.slice(at + JSON.stringify(MARKER).length);
  return new JsonText(text) as unknown as Body;
}
