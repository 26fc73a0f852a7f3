import test from 'ava';
import { formatInterval, formatNumber, formatWithUncertainty } from '../../src/report/formatNumber.ts';
import { comparisonTable, comparisonTableHtml, comparisonTableText, escapeHtml, formatCell } from '../../src/report/comparisonTable.ts';
import { dejaVuMetrics, parseFontMetrics, regularFontFile, textWidth } from '../../src/report/fonts.ts';
import { readFileSync } from 'node:fs';

test('formatNumber: 4 significant digits, exponent outside [1e-3, 1e6)', (t) => {
  t.is(formatNumber(0), '0');
  t.is(formatNumber(1234.5678), '1235');
  t.is(formatNumber(0.012345), '0.01235');
  t.is(formatNumber(0.5), '0.5');
  t.is(formatNumber(-2.5), '-2.5');
  t.is(formatNumber(5e-4), '5e-4');
  t.is(formatNumber(1.23456e7), '1.235e7');
  t.is(formatNumber(NaN), 'NaN');
});

test('formatWithUncertainty: rounded at the uncertainty\'s second significant digit', (t) => {
  t.is(formatWithUncertainty(97.834, 0.146), '97.83 ± 0.15');
  t.is(formatWithUncertainty(150.2, 4.21), '150.2 ± 4.2');
  t.is(formatWithUncertainty(123456, 1234), '123500 ± 1200');
  t.is(formatWithUncertainty(0.012341, 0.00012), '0.01234 ± 0.00012');
  t.is(formatWithUncertainty(-0.0004, 0.5), '0.00 ± 0.50');
  t.is(formatWithUncertainty(5, null), '5');
  t.is(formatWithUncertainty(5, 0), '5');
  // A tiny uncertainty on a large value does not print 12 digits.
  t.is(formatWithUncertainty(1234.5678, 1e-9), '1234.57 ± 1e-9');
});

test('formatInterval: enough digits to tell the ends apart', (t) => {
  t.is(formatInterval(-1040, -970), '[-1040, -970]');
  t.is(formatInterval(1.00001, 1.00003), '[1.00001, 1.00003]');
});

test('comparison table: columns only for measured values, each value with its uncertainty', (t) => {
  const table = comparisonTable([
    {
      label: 'SGD',
      accuracy: { value: 0.9, samples: 10000 },
      lambdaMax: { value: 40.12, residual: 0.012 },
      trace: { estimate: 150.2, stderr: 4.2 },
      sharpness: [
        { norm: 'l2', adaptive: false, radius: 0.1, keskar: 12.3 },
        { norm: 'l2', adaptive: false, radius: 0.05, keskar: 4.56 },
      ],
      logVolume: [{ value: -1000, ci: [-1040, -970], level: 0.95, lowerBound: true, delta: 0.1, norm: 'filter' }],
    },
    { label: 'SWA', accuracy: { value: 0.92, samples: 10000 } },
  ]);
  t.deepEqual(
    table.columns.map((c) => c.key),
    ['accuracy', 'lambdaMax', 'trace', 'sharpness:l2:0.05', 'sharpness:l2:0.1', 'logVolume:filter:0.1'],
  );
  const sgd = table.rows[0]!.cells;
  t.is(formatCell(sgd.accuracy), '90.00 ± 0.30'); // 100 sqrt(0.9 * 0.1 / 10000) = 0.3
  t.is(formatCell(sgd.lambdaMax), '40.120 ± 0.012');
  t.is(formatCell(sgd.trace), '150.2 ± 4.2');
  t.is(formatCell(sgd['sharpness:l2:0.05']), '4.56');
  t.is(formatCell(sgd['logVolume:filter:0.1']), '≥ -1000 [-1040, -970]');
  t.is(formatCell(table.rows[1]!.cells.trace), '—');

  const text = comparisonTableText(table);
  const lines = text.split('\n');
  t.true(lines[0]!.startsWith('solution'));
  t.true(lines[2]!.startsWith('SGD'));
  t.true(lines[3]!.startsWith('SWA'));
  t.true(text.includes('binomial standard error'));
  // Columns are aligned: every row as long as the header (or shorter when trailing cells are blank).
  t.is(lines[2]!.length, lines[0]!.length);

  const html = comparisonTableHtml(table);
  t.true(html.includes('<th scope="row">SGD</th>'));
  t.true(html.includes('90.00 ± 0.30'));
  t.is((html.match(/<tr>/g) ?? []).length, 3);
});

test('comparison table: labels are escaped in HTML', (t) => {
  const html = comparisonTableHtml(comparisonTable([{ label: '<b>x</b>', trace: { estimate: 1, stderr: null } }]));
  t.false(html.includes('<b>x</b>'));
  t.true(html.includes(escapeHtml('<b>x</b>')));
});

test('fonts: DejaVu Sans advance widths from the TrueType tables', (t) => {
  const m = dejaVuMetrics();
  // DejaVu Sans: digits are 1303/2048 em, space 651/2048, 'M' 1767/2048.
  t.is(m.advance('0'.codePointAt(0)!), 1303 / 2048);
  t.is(m.advance(' '.codePointAt(0)!), 651 / 2048);
  t.is(m.advance('M'.codePointAt(0)!), 1767 / 2048);
  t.true(m.advance('λ'.codePointAt(0)!) > 0);
  t.is(textWidth('00', 10), (2 * 1303 * 10) / 2048);
  // A second parse of the same file agrees.
  t.is(parseFontMetrics(readFileSync(regularFontFile())).advance(65), m.advance(65));
});
