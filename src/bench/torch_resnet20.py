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
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.cin, self.cout, self.stride = cin, cout, stride
        # TF's 'same' padding pads only at the end for a stride-2 3x3 conv on an even input
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, padding=0 if stride == 2 else 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-5)

    def forward(self, x):
        y = F.pad(x, (0, 1, 0, 1)) if self.stride == 2 else x
        y = F.relu(self.bn1(self.conv1(y)))
        y = self.bn2(self.conv2(y))
        sc = x
        if self.stride != 1 or self.cin != self.cout:
            # option-A shortcut: every s-th pixel, zero channels appended
            sc = F.pad(x[:, :, :: self.stride, :: self.stride], (0, 0, 0, 0, 0, self.cout - self.cin))
        return F.relu(y + sc)


class ResNet20(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, padding=1, bias=True)
        self.bn = nn.BatchNorm2d(16, eps=1e-5)
        blocks, cin = [], 16
        for stage, w in enumerate([16, 32, 64]):
            for b in range(3):
                blocks.append(Block(cin, w, 2 if stage > 0 and b == 0 else 1))
                cin = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        h = F.relu(self.bn(self.conv(x)))
        h = self.blocks(h)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))


def params_in_order(m):
    out = [m.conv.weight, m.conv.bias]
    bn = lambda b: [b.weight, b.bias, b.running_mean, b.running_var]
    out += bn(m.bn)
    for blk in m.blocks:
        out += [blk.conv1.weight] + bn(blk.bn1) + [blk.conv2.weight] + bn(blk.bn2)
    return out + [m.fc.weight, m.fc.bias]


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
