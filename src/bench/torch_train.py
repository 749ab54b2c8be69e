"""PyTorch reference for `npm run bench -- training`: the same two models as actbench's resnet20 and
cnn_small (ReLU, BatchNorm, option-A shortcuts), random data, SGD momentum 0.9, same batch, warm-up and
timed steps as the TF.js rows. Prints one JSON object: rows and peak RSS."""
import json, resource, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

batch, threads, warm, steps = (int(a) for a in sys.argv[1:5])
torch.set_num_threads(threads)
torch.manual_seed(0)


class ShortcutA(nn.Module):
    def __init__(self, stride, out_c):
        super().__init__()
        self.stride, self.out_c = stride, out_c

    def forward(self, x):
        x = x[:, :, :: self.stride, :: self.stride]
        pad = self.out_c - x.shape[1]
        return F.pad(x, (0, 0, 0, 0, pad // 2, pad - pad // 2))


class Block(nn.Module):
    def __init__(self, in_c, out_c, stride):
        super().__init__()
        self.c1 = nn.Conv2d(in_c, out_c, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(out_c)
        self.c2 = nn.Conv2d(out_c, out_c, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(out_c)
        self.short = ShortcutA(stride, out_c) if stride != 1 or in_c != out_c else nn.Identity()

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        return F.relu(self.b2(self.c2(y)) + self.short(x))


def resnet20():
    layers, c = [nn.Conv2d(3, 16, 3, 1, 1), nn.BatchNorm2d(16), nn.ReLU()], 16
    for stage, w in enumerate([16, 32, 64]):
        for b in range(3):
            layers.append(Block(c, w, 2 if stage > 0 and b == 0 else 1))
            c = w
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def cnn_small():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))


rows = []
for name, make, shape in [("cnn_small", cnn_small, (1, 28, 28)), ("resnet20", resnet20, (3, 32, 32))]:
    model = make().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, *shape)
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(warm):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    ms = (time.perf_counter() - t0) * 1000 / steps
    rows.append({"model": name, "batch": batch, "steps": steps, "msPerStep": ms, "imagesPerSecond": batch * 1000 / ms})
print(json.dumps({"rows": rows, "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "torch": torch.__version__, "threads": threads}))
