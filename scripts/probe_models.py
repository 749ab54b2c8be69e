"""Odd ONNX models for the boundary probe (scripts/probe.ts): each breaks one part of the model contract."""
import sys
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

out = sys.argv[1]


def save(name, nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, f'{out}/{name}.onnx')


def img(name='x', h=28, w=28, c=1, t=TensorProto.FLOAT, n='N'):
    return helper.make_tensor_value_info(name, t, [n, c, h, w])


def dense(k, name, h=28, w=28, c=1, fill=None, extra_nodes=(), out_name='logits'):
    wts = np.full((c * h * w, k), fill, np.float32) if fill is not None else np.random.RandomState(0).randn(c * h * w, k).astype(np.float32) * 0.01
    nodes = [helper.make_node('Flatten', ['x'], ['f']), helper.make_node('MatMul', ['f', 'W'], [out_name])] + list(extra_nodes)
    return nodes, [numpy_helper.from_array(wts, 'W')]


# NaN logits: x * NaN
n, i = dense(10, 'nan', fill=np.nan)
save('nan_logits', n, [img()], [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', 10])], i)
# all-equal logits: weights 0
n, i = dense(10, 'tie', fill=0.0)
save('tied_logits', n, [img()], [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', 10])], i)
# fewer outputs than classes
n, i = dense(5, 'five')
save('five_classes', n, [img()], [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', 5])], i)
# rank-1 output
n, i = dense(10, 'r1')
n = n + [helper.make_node('ReduceMax', ['logits'], ['r'], keepdims=0, axes=[1])]
save('rank1_output', n, [img()], [helper.make_tensor_value_info('r', TensorProto.FLOAT, ['N'])], i)
# extra input
n, i = dense(10, 'extra')
n = n + [helper.make_node('Add', ['logits', 'bias'], ['o'])]
save('extra_input', n, [img(), helper.make_tensor_value_info('bias', TensorProto.FLOAT, [1, 10])], [helper.make_tensor_value_info('o', TensorProto.FLOAT, ['N', 10])], i)
# integer input
nodes = [helper.make_node('Cast', ['x'], ['xf'], to=TensorProto.FLOAT), helper.make_node('Flatten', ['xf'], ['f']), helper.make_node('MatMul', ['f', 'W'], ['logits'])]
save('int_input', nodes, [img(t=TensorProto.INT64)], [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', 10])], [numpy_helper.from_array(np.zeros((784, 10), np.float32), 'W')])
# dynamic height/width: global average pool then a dense layer
nodes = [helper.make_node('GlobalAveragePool', ['x'], ['p']), helper.make_node('Flatten', ['p'], ['f']), helper.make_node('MatMul', ['f', 'W'], ['logits'])]
save('dynamic_hw', nodes, [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 1, 'H', 'W'])], [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', 10])], [numpy_helper.from_array(np.ones((1, 10), np.float32), 'W')])
# two outputs
n, i = dense(10, 'two')
n = n + [helper.make_node('Identity', ['logits'], ['copy'])]
save('two_outputs', n, [img()], [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', 10]), helper.make_tensor_value_info('copy', TensorProto.FLOAT, ['N', 10])], i)

# odd datasets
np.save(f'{out}/imgs.npy', np.random.RandomState(1).randint(0, 255, (60, 28, 28), dtype=np.uint8))
np.save(f'{out}/labels_float.npy', (np.arange(60) % 10 + 0.7).astype(np.float32))
np.save(f'{out}/labels_big.npy', np.where(np.arange(60) == 3, 2**32 + 1, np.arange(60) % 10).astype(np.int64))
np.save(f'{out}/labels_ok.npy', (np.arange(60) % 10).astype(np.int64))
np.save(f'{out}/labels_one.npy', np.zeros(60, np.int64))
np.save(f'{out}/imgs2c.npy', np.zeros((60, 28, 28, 2), np.uint8))
np.save(f'{out}/labels_12.npy', (np.arange(60) % 12).astype(np.int64))
