"""PyTorch anchor for `npm run bench -- training`: actbench's ResNet-20 (option-A shortcuts) and small CNN
(torch_zoo.py), trained with momentum SGD on random data at the same batch and thread count; prints one
JSON line {model, batch, threads, steps, imagesPerSecond, msPerStep, sgemmGflops}."""
import argparse
import json
import time

import torch
import torch.nn.functional as F

from torch_zoo import ResNet20, SmallCnn


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
