"""The anchor for `npm run bench -- deploy`: actbench's CIFAR ResNet-20 (ReLU) rebuilt in PyTorch with the
actbench model's weights and exported by torch.onnx.export, so both ONNX files compute the same function.

usage: torch_resnet20.py WEIGHTS.json WEIGHTS.bin OUT.onnx
WEIGHTS.json lists {shape, offset} per tensor (float32 little-endian in WEIGHTS.bin, PyTorch layout) in the
order the modules below are created: stem conv weight and bias, stem BN (weight, bias, running mean,
running var), per block conv1, bn1, conv2, bn2, then fc weight and bias. Prints one JSON line.
"""
import json
import sys

import numpy as np
import torch

from torch_zoo import ResNet20, params_in_order


def main():
    index_path, bin_path, out = sys.argv[1:4]
    index = json.load(open(index_path))
    raw = np.fromfile(bin_path, dtype='<f4')
    model = ResNet20(index['classes'])
    targets = params_in_order(model)
    if len(targets) != len(index['tensors']):
        raise SystemExit(f"weights: {len(index['tensors'])} tensors, the PyTorch ResNet-20 has {len(targets)}")
    with torch.no_grad():
        for k, (t, e) in enumerate(zip(targets, index['tensors'])):
            if list(t.shape) != e['shape']:
                raise SystemExit(f"weights: tensor {k} has shape {e['shape']}, PyTorch expects {list(t.shape)}")
            n = int(np.prod(e['shape']))
            t.copy_(torch.from_numpy(raw[e['offset']:e['offset'] + n].reshape(e['shape']).copy()))
    model.eval()
    torch.onnx.export(
        model, torch.zeros(1, 3, 32, 32), out, opset_version=17, input_names=['input'], output_names=['logits'],
        dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}}, do_constant_folding=True,
    )
    print(json.dumps({'torch': torch.__version__, 'out': out, 'parameters': sum(p.numel() for p in model.parameters())}))


if __name__ == '__main__':
    main()
