import test from 'ava';
import { formatUsageMessage } from '../../src/cli/usageMessage.ts';

test('bad choices name the option with its dashes', (t) => {
  const msg = 'Invalid values:\n  Argument: backend, Given: "nope", Choices: "auto", "wasm"';
  t.is(formatUsageMessage(msg, ['--backend', 'nope']), '--backend must be one of "auto", "wasm", got "nope"');
});

test('unknown options keep the dashes the user typed; positionals do not get any', (t) => {
  t.is(formatUsageMessage('Unknown argument: bogus', ['x', '--bogus']), 'unknown option --bogus');
  t.is(formatUsageMessage('Unknown arguments: bogus, x', ['--bogus=1', '-x']), 'unknown options --bogus, -x');
  t.is(formatUsageMessage('Unknown argument: extra', ['backends', 'extra']), 'unknown command or argument: extra');
});

test('missing options and values', (t) => {
  t.is(formatUsageMessage('Missing required argument: data', []), 'missing required option --data');
  t.is(formatUsageMessage('Not enough arguments following: threads', []), '--threads needs a value');
});

test('several lines become one', (t) => {
  const out = formatUsageMessage('Unknown argument: a\nSomething else', ['--a']);
  t.is(out, 'unknown option --a; Something else');
  t.false(out.includes('\n'));
});
