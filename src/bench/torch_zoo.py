"""actbench's zoo models rebuilt in PyTorch, one definition for every PyTorch anchor (the deploy bench's
export, the training bench's speed): the CIFAR ResNet-20 with option-A shortcuts and TF's 'same' padding,
and the small CNN. `params_in_order` lists ResNet-20's tensors in the order the deploy bench writes them."""
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


class SmallCnn(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(1, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32)
        self.c2, self.b2 = nn.Conv2d(32, 64, 3, 2, 1, bias=False), nn.BatchNorm2d(64)
        self.d1, self.b3 = nn.Linear(64 * 7 * 7, 128, bias=False), nn.BatchNorm1d(128)
        self.d2 = nn.Linear(128, classes)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        return self.d2(F.relu(self.b3(self.d1(x.flatten(1)))))


def params_in_order(m):
    out = [m.conv.weight, m.conv.bias]
    bn = lambda b: [b.weight, b.bias, b.running_mean, b.running_var]
    out += bn(m.bn)
    for blk in m.blocks:
        out += [blk.conv1.weight] + bn(blk.bn1) + [blk.conv2.weight] + bn(blk.bn2)
    return out + [m.fc.weight, m.fc.bias]
