#!/usr/bin/env python3
"""Makes the small ONNX models the engine's import tests read.

Run from this directory with a Python that has torch (1.13 was used) and onnx:
    python3 make_fixtures.py
Weights are random (seeded): the tests compare the engine with onnxruntime on the
same file, so what matters is that every op carries non-trivial numbers, not accuracy.
"""
import torch
import torch.nn as nn
import onnx

torch.manual_seed(7)


class Mlp(nn.Module):
    """Flatten, Gemm, a clamp (Clip), Dropout and a Softmax head that the importer drops."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 32)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = torch.clamp(self.fc1(x), 0.0, 4.0)
        return torch.softmax(self.fc2(self.drop(x)), dim=1)


class LeNet(nn.Module):
    """Padded Conv, MaxPool, AveragePool, ReLU6 (Clip with constant inputs from opset 11 on)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 12, 5)
        self.fc1 = nn.Linear(12 * 5 * 5, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.avg_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = nn.functional.relu6(self.fc1(x))
        return self.fc2(x)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(x + y)


class ResNet(nn.Module):
    """Conv+BatchNormalization kept unfused, a residual Add, GlobalAveragePool, a constant Reshape."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.block = Block(8)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = torch.relu(self.bn(self.stem(x)))
        x = self.block(x)
        x = nn.functional.adaptive_avg_pool2d(x, 1)
        return self.fc(x.reshape(-1, 8))


class Normalized(nn.Module):
    """Input normalisation as Sub (initializer) and Div (Constant), then a MatMul + Add head."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([[[0.2860]]]))
        self.conv = nn.Conv2d(1, 4, 3, stride=2)
        self.head_weight = nn.Parameter(torch.randn(4 * 13 * 13, 10) * 0.05)
        self.head_bias = nn.Parameter(torch.randn(10) * 0.1)

    def forward(self, x):
        x = (x - self.mean) / 0.3530
        x = torch.relu(self.conv(x))
        return torch.flatten(x, 1) @ self.head_weight + self.head_bias


def randomize_bn(m):
    # Fresh BatchNorm has mean 0 / var 1 / γ 1 / β 0, which would hide a wrong formula.
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            with torch.no_grad():
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.3, 0.3)


def export(model, name, opset):
    model.eval()
    x = torch.rand(2, 1, 28, 28)
    torch.onnx.export(model, x, name, opset_version=opset, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    m = onnx.load(name)
    onnx.checker.check_model(m)
    print(name, "opset", opset, [n.op_type for n in m.graph.node])


if __name__ == "__main__":
    export(Mlp(), "mlp.onnx", 9)
    export(LeNet(), "lenet.onnx", 11)
    r = ResNet()
    randomize_bn(r)
    export(r, "resnet.onnx", 13)
    export(Normalized(), "normalized.onnx", 17)
