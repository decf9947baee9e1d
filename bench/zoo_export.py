"""The zoo's models (tests/zoo/zoo.py) for the GPU benchmarks: built as the zoo builds them
(seeded random weights, norm affines re-drawn, BatchNorm calibrated) and exported at benchmark
size with an open batch axis: 224 px (Inception-v3: 299; timm transformers get img_size=224 and
their default window). Used by bench_zoo_gpu.py and bench_seg_outputs.py; needs torch."""
import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_spec = importlib.util.spec_from_file_location("zoo", os.path.join(ROOT, "tests", "zoo", "zoo.py"))
zoo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(zoo)


def bench_spec(name, prog="bench"):
    entry = next((e for e in zoo.MODELS if e[0] == name), None)
    if entry is None:
        sys.exit(f"{prog}: '{name}' is not in tests/zoo/zoo.py (--models all lists every one)")
    spec = zoo.spec_of(entry)
    spec["kwargs"] = dict(spec["kwargs"])
    if "img_size" in spec["kwargs"]:
        spec["kwargs"]["img_size"] = 224
        spec["kwargs"].pop("window_size", None)
    spec["size"] = 299 if name == "inception_v3" else 224
    return spec


def build_and_export(spec, path):
    """The zoo's model (weights as the zoo makes them), exported at spec['size']; the torch module."""
    import torch
    gen = torch.Generator().manual_seed(zoo.seed_of(spec["name"]) + 1)
    model = zoo.build(spec)
    zoo.rescale_weights(model, gen)
    zoo.calibrate(model, spec["size"], gen)
    x = torch.randn(1, 3, spec["size"], spec["size"])
    names = zoo.output_names(model, x)
    wrapped = zoo.as_tuple_module(model).eval()
    kw = dict(input_names=["input"], output_names=names, opset_version=17,
              dynamic_axes={"input": {0: "batch"}, **{n: {0: "batch"} for n in names}})
    try:
        torch.onnx.export(wrapped, (x,), path, dynamo=False, **kw)
    except TypeError:
        torch.onnx.export(wrapped, (x,), path, **kw)
    return wrapped
