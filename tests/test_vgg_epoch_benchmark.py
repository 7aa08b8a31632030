"""benchmarks/vgg_epoch.py and the VGG rows of benchmarks/conv_layers.py: the networks come from
examples/cifar10_vgg.py, the PyTorch copy computes the same logits (and the check notices when it
does not), and a short run prints its table."""
import importlib.util
import os
import sys

import numpy as np
import pytest

import tinyconv as tc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHMARKS, EXAMPLES = os.path.join(ROOT, "benchmarks"), os.path.join(ROOT, "examples")


def load(name, monkeypatch):
    """benchmarks/<name>.py as a new module, the benchmarks and examples on the import path."""
    monkeypatch.syspath_prepend(BENCHMARKS)
    monkeypatch.syspath_prepend(EXAMPLES)
    spec = importlib.util.spec_from_file_location(name, os.path.join(BENCHMARKS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def vgg_epoch(monkeypatch):
    return load("vgg_epoch", monkeypatch)


def test_the_conv_table_holds_every_conv_layer_of_the_vgg_network_once(monkeypatch):
    with tc.random.fork_rng():
        before = tc.random.default_rng().bit_generator.state
        conv_layers = load("conv_layers", monkeypatch)
        assert tc.random.default_rng().bit_generator.state == before  # building the networks drew nothing
    geometries = [(shape, o, k, pad) for _, shape, o, k, pad in conv_layers.SHAPES]
    assert len(set(geometries)) == len(geometries)
    vgg = set()  # the example's network: two 3x3 convolutions at each of 32, 64, 128 filters, pooling after each pair
    for size, channels in ((28, 1), (32, 3)):
        ins, outs = (channels, 32, 32, 64, 64, 128), (32, 32, 64, 64, 128, 128)
        sizes = (size, size, size // 2, size // 2, size // 4, size // 4)
        vgg |= {((64, c, h, h), o, 3, 1) for c, o, h in zip(ins, outs, sizes)}
    assert vgg <= set(geometries)
    assert ((64, 128, 16, 16), 128, 3, 1) in geometries


def networks(vgg_epoch, size=28):
    import torch
    model = vgg_epoch.tinyconv_vgg(size)
    return model, vgg_epoch.torch_copy(model), torch


def images(size=28, channels=1, n=2):
    return np.random.default_rng(1).standard_normal((n, channels, size, size), dtype=np.float32)


def test_the_pytorch_copy_gives_the_same_logits(vgg_epoch):
    pytest.importorskip("torch")
    model, net, _ = networks(vgg_epoch)
    vgg_epoch.check_same_logits(model, net, images())
    assert model.training and net.training


def test_the_logit_check_stops_where_one_weight_differs(vgg_epoch):
    pytest.importorskip("torch")
    model, net, torch = networks(vgg_epoch)
    with torch.no_grad():
        net[0].weight[0, 0, 1, 1] += 0.5
    with pytest.raises(SystemExit, match="differ: logits up to .* apart"):
        vgg_epoch.check_same_logits(model, net, images())


def test_a_short_run_prints_the_times_ratio_and_epoch(vgg_epoch, capsys):
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    with tc.random.fork_rng(), torch.random.fork_rng():
        vgg_epoch.main(["--input", "28", "--batches", "1", "--rounds", "1", "--batch-size", "2"])
    out = capsys.readouterr().out
    assert "batch 2" in out and "60,000 images of 28x28x1" in out
    assert out.strip().splitlines()[-1].startswith("28x28x1")
    assert torch.get_num_threads() == threads


def test_without_torch_it_stops_with_a_message(vgg_epoch, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with pytest.raises(SystemExit, match="torch is not installed"):
        vgg_epoch.main(["--batches", "1"])


@pytest.mark.parametrize("argument, value", [("--rounds", "0"), ("--batches", "-1"), ("--batch-size", "0")])
def test_a_bad_count_is_refused_naming_the_argument(vgg_epoch, capsys, argument, value):
    with pytest.raises(SystemExit):
        vgg_epoch.main([argument, value])
    assert f"argument {argument}: expected a" in capsys.readouterr().err


def test_each_framework_is_timed_in_a_process_of_its_own(vgg_epoch, monkeypatch):
    """Spinning threads of one framework must not share a process with the other's timed steps."""
    pytest.importorskip("torch")
    commands = []

    def run(cmd, env=None):
        commands.append(cmd)
        return 0.5
    monkeypatch.setattr(vgg_epoch, "child_json", run)
    median, batches = vgg_epoch.median_step_seconds(28, vgg_epoch.argparse.Namespace(batch_size=2, batches=0, rounds=2))
    children = [cmd[cmd.index("--child") + 1] for cmd in commands]
    assert children == ["tinyconv", "torch"] * 3  # one probe step each, then two rounds, alternating
    assert median == {"tinyconv": 0.5, "torch": 0.5} and batches == max(1, round(vgg_epoch.SECONDS / 2 / 1.0))
