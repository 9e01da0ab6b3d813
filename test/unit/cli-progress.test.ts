import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../src/cli/archive.js';

describe('CLI progress', () => {
  it('on a terminal: one line rewritten in place with count, rate and ETA', () => {
    let out = '';
    let t = 0;
    const p = progressReporter({ write: (s) => (out += s), isTTY: true }, false, () => t);
    t = 1000;
    p.update('import', 500, 2000);
    expect(out).toBe('\r\u001b[2Kimport: 500 / 2,000 records (25%), 500/s, ETA 3s');
    t = 4000;
    p.done('import', 2000, 2000);
    expect(out.endsWith('\r\u001b[2Kimport: 2,000 / 2,000 records (100%), 500/s\n')).toBe(true);
  });

  it('without a terminal: plain lines at most once a second; with --json: JSON lines', () => {
    let out = '';
    let t = 0;
    const plain = progressReporter({ write: (s) => (out += s), isTTY: false }, false, () => t);
    t = 1500;
    plain.update('export', 10);
    t = 1600;
    plain.update('export', 20);
    expect(out).toBe('export: 10 records, 7/s\n');
    out = '';
    t = 0;
    const json = progressReporter({ write: (s) => (out += s), isTTY: false }, true, () => t);
    t = 2000;
    json.update('import', 100, 400);
    expect(JSON.parse(out)).toEqual({ progress: 'import', done: 100, total: 400, rate: 50, etaSeconds: 6 });
  });
});
