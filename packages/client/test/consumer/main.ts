import { exercise } from './check.js';

const [baseUrl, rootKey] = process.argv.slice(2);
if (!baseUrl || !rootKey) throw new Error('usage: main.js <base url> <root key>');
console.log(JSON.stringify(await exercise(baseUrl, rootKey)));
