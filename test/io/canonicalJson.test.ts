import test from 'ava';
import { canonicalJson } from '../../src/io/canonicalJson.ts';

test('keys are sorted at every level, whitespace dropped, undefined members dropped', (t) => {
  t.is(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 'x' }], c: null }, u: undefined }), '{"a":{"c":null,"d":[1,{"y":"x","z":0}]},"b":1}');
  t.is(canonicalJson(JSON.parse('{"x": 1.5, "a": "\\u00e9"}')), '{"a":"é","x":1.5}');
});

test('equal data give equal strings regardless of key order', (t) => {
  t.is(canonicalJson({ a: 1, b: [2, 3] }), canonicalJson({ b: [2, 3], a: 1 }));
});
