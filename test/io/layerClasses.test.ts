import test from 'ava';
import { layerClassNames, unknownLayerClasses } from '../../src/io/layerClasses.ts';

test('finds layer classes in Sequential, functional, nested and wrapped models', (t) => {
  const topology = {
    model_config: {
      class_name: 'Functional',
      config: {
        layers: [
          { class_name: 'InputLayer', config: {} },
          { class_name: 'Dense', config: { kernel_initializer: { class_name: 'GlorotUniform', config: {} } } },
          { class_name: 'Sequential', config: { layers: [{ class_name: 'Conv2D', config: {} }] } },
          { class_name: 'TimeDistributed', config: { layer: { class_name: 'MyLayer', config: {} } } },
          { class_name: 'Bidirectional', config: { layer: { class_name: 'LSTM', config: { cell: { class_name: 'LSTMCell', config: {} } } } } },
        ],
      },
    },
  };
  t.deepEqual(layerClassNames(topology), [
    'Functional',
    'InputLayer',
    'Dense',
    'Sequential',
    'Conv2D',
    'TimeDistributed',
    'MyLayer',
    'Bidirectional',
    'LSTM',
    'LSTMCell',
  ]);
  t.deepEqual(unknownLayerClasses(topology), ['MyLayer']);
});

test('old Keras Sequential with a list config', (t) => {
  t.deepEqual(unknownLayerClasses({ class_name: 'Sequential', config: [{ class_name: 'Dense', config: {} }, { class_name: 'Foo', config: {} }] }), ['Foo']);
});
