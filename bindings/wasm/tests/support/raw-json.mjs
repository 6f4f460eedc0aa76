// A JSON reader that keeps what JSON.parse loses: the text of each number. `5.0` is not `5`
// to the engine (a float where an int is declared is invalid) but both are the JS number 5.
// Test runners use it to hand the engine the values the CLI reads (serde_json: numbers as
// written; of duplicate keys, the last wins, as in JSON.parse), and to know when a JS object
// is a lossless copy of that text.
//
// A node is a JS primitive (string, boolean, null), a RawNumber, an array of nodes, or a
// RawObject (entries in order, one per key).

export class RawNumber {
  constructor(text) {
    this.text = text;
  }
}

export class RawObject {
  constructor(entries) {
    this.entries = entries;
  }

  get(key) {
    return this.entries.find(([k]) => k === key)?.[1];
  }

  has(key) {
    return this.entries.some(([k]) => k === key);
  }
}

export function parseRaw(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (what) => {
    throw new SyntaxError(`raw-json: ${what} at offset ${i}`);
  };
  const string = () => {
    const start = i;
    i++;
    while (text[i] !== '"') {
      if (i >= text.length) fail('unterminated string');
      i += text[i] === '\\' ? 2 : 1;
    }
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries = [];
      ws();
      if (text[i] === '}') {
        i++;
        return new RawObject(entries);
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = string();
        ws();
        if (text[i++] !== ':') fail('expected `:`');
        const v = value();
        const seen = entries.find(([k]) => k === key);
        if (seen) seen[1] = v;
        else entries.push([key, v]);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return new RawObject(entries);
        } else fail('expected `,` or `}`');
      }
    }
    if (c === '[') {
      i++;
      const items = [];
      ws();
      if (text[i] === ']') {
        i++;
        return items;
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return items;
        } else fail('expected `,` or `]`');
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('unexpected character');
    i += m[0].length;
    return new RawNumber(m[0]);
  };
  const out = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return out;
}

/** The node as compact JSON text, numbers as written. */
export function toText(node) {
  if (node instanceof RawNumber) return node.text;
  if (node instanceof RawObject) return `{${node.entries.map(([k, v]) => `${JSON.stringify(k)}:${toText(v)}`).join(',')}}`;
  if (Array.isArray(node)) return `[${node.map(toText).join(',')}]`;
  return JSON.stringify(node);
}

/** The node as a JS value (what JSON.parse gives). */
export function toValue(node) {
  return JSON.parse(toText(node));
}

/** Whether JSON.stringify(toValue(node)) gives back the same text: a JS object can stand for it. */
export function lossless(node) {
  return JSON.stringify(toValue(node)) === toText(node);
}
