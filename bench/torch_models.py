"""torchvision models with seeded random weights, exported to ONNX, for the GPU benchmarks.

The same architecture and the same weights whatever the device: torch.manual_seed(0), then the
module is built on the CPU (weights=None: random init, no download) and moved. The ONNX file has
input "input" [batch, 3, 224, 224] and output "output" with an open batch dim, opset 17.

    from torch_models import make_model, export
    export(make_model("resnet50"), "/tmp/resnet50.onnx")
"""
import torch
import torchvision


def make_model(name, device="cpu"):
    """torchvision.models.<name> in eval mode, seeded random weights, on `device`."""
    torch.manual_seed(0)
    return getattr(torchvision.models, name)(weights=None).eval().to(device)


def export(model, path):
    """Exports `model` (on any device) to ONNX at `path` with an open batch dim."""
    device = next(model.parameters()).device
    x = torch.randn(1, 3, 224, 224, device=device)
    kw = dict(input_names=["input"], output_names=["output"], opset_version=17,
              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    try:
        torch.onnx.export(model, (x,), path, dynamo=False, **kw)
    except TypeError:  # torch before 2.5 has no `dynamo` argument
        torch.onnx.export(model, (x,), path, **kw)
