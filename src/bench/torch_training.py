"""PyTorch anchor for `npm run bench -- training`: the same ResNet-20 (option-A shortcuts) and small CNN as
actbench's zoo, trained with momentum SGD on random data at the same batch and thread count; prints one
JSON line {model, batch, threads, steps, imagesPerSecond, msPerStep, sgemmGflops}."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ShortcutA(nn.Module):
    def __init__(self, stride, out_c):
        super().__init__()
        self.stride, self.out_c = stride, out_c

    def forward(self, x):
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        pad = self.out_c - x.shape[1]
        return F.pad(x, (0, 0, 0, 0, 0, pad)) if pad > 0 else x


class Basic(nn.Module):
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


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 1, 1, bias=True)
        self.bn = nn.BatchNorm2d(16)
        blocks, c = [], 16
        for stage, w in enumerate([16, 32, 64]):
            for b in range(3):
                blocks.append(Basic(c, w, 2 if stage > 0 and b == 0 else 1))
                c = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn(self.stem(x))))
        return self.fc(x.mean((2, 3)))


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(1, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32)
        self.c2, self.b2 = nn.Conv2d(32, 64, 3, 2, 1, bias=False), nn.BatchNorm2d(64)
        self.d1, self.b3 = nn.Linear(64 * 7 * 7, 128, bias=False), nn.BatchNorm1d(128)
        self.d2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        return self.d2(F.relu(self.b3(self.d1(x.flatten(1)))))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="resnet20")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--warmup", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = ResNet20() if a.model == "resnet20" else SmallCnn()
    shape = (a.batch, 3, 32, 32) if a.model == "resnet20" else (a.batch, 1, 28, 28)
    x, y = torch.randn(shape), torch.randint(0, 10, (a.batch,))
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    ms = (time.perf_counter() - t0) * 1000 / a.steps
    # the BLAS this torch uses, on a square SGEMM: the machine's practical sgemm peak
    m = torch.randn(1024, 1024)
    m @ m
    t0, reps = time.perf_counter(), 0
    while time.perf_counter() - t0 < 0.5:
        m @ m
        reps += 1
    gflops = 2 * 1024**3 * reps / (time.perf_counter() - t0) / 1e9
    print(json.dumps({"model": a.model, "batch": a.batch, "threads": a.threads, "steps": a.steps, "imagesPerSecond": a.batch * 1000 / ms, "msPerStep": ms, "sgemmGflops": gflops}))


if __name__ == "__main__":
    main()
