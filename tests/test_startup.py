"""A short script pays only for what it uses: lazy imports, and no compiler
import at the first fit (``benchmarks/bench_startup.py`` has the timings)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:] + result.stdout[-500:]


def test_import_skdl_loads_no_estimator_and_each_loads_only_its_own():
    _run(
        """
import sys
import skdl
assert "torch" not in sys.modules, "import skdl imported torch"
from skdl import MLPClassifier
unused = {"cv2", "skimage", "sklearn.cluster", "dask", "skdl.lvq", "skdl.memory",
          "skdl.feature_extraction", "skdl.neural_network._text"}
loaded = sorted(unused & set(sys.modules))
assert not loaded, f"from skdl import MLPClassifier imported {loaded}"
from skdl import HOGTransformer
assert "cv2" not in sys.modules, "HOGTransformer imported OpenCV"
assert sorted(dir(skdl)) == dir(skdl) and set(skdl.__all__) <= set(dir(skdl))
"""
    )


def test_the_data_set_loaders_import_no_torch():
    # a scikit-learn script that only loads skdl's data sets paid torch's import
    # (a second on 2 cores) after the loaders began validating their arguments
    _run(
        """
import sys
from skdl.datasets import load_digit_sheet, load_sentiment_sentences
load_sentiment_sentences(return_X_y=True)
load_digit_sheet(return_X_y=True)
assert "torch" not in sys.modules, "loading skdl's data sets imported torch"
"""
    )


def test_the_building_blocks_import_torch_only():
    # DESIGN.md: skdl.modules holds nn.Module definitions only, usable in a
    # plain PyTorch program without scikit-learn's or skorch's import cost
    _run(
        """
import sys
import skdl.modules
loaded = sorted({"sklearn", "skorch", "scipy", "pandas"} & set(sys.modules))
assert not loaded, f"import skdl.modules imported {loaded}"
"""
    )


def test_a_first_fit_or_load_of_every_estimator_leaves_torchs_compiler_unloaded():
    # torch's optimizers import torch._dynamo (about a second and 800 modules)
    # at their first call; a short script fitting one model paid it in full.
    # skdl.io builds networks on the meta device, where some initialisers
    # (an embedding's normal_, triu) imported it too, writing a cache folder in /tmp
    _run(
        """
import os, sys, tempfile, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
from estimator_cases import CASES, outputs
from skdl.io import load, save
with tempfile.TemporaryDirectory() as folder:
    for name, case in CASES.items():
        X, y = case.data()
        model = case.make().fit(X, y)
        if "torch._dynamo" in sys.modules:
            sys.exit(f"fitting {name} imported torch._dynamo")
        path = os.path.join(folder, name + ".skdl")
        save(model, path)
        outputs(load(path), X)
        if "torch._dynamo" in sys.modules:
            sys.exit(f"loading {name} imported torch._dynamo")
"""
    )


def test_first_use_pauses_the_cycle_collector_and_leaves_it_as_it_was():
    _run(
        """
import gc, sys
import skdl
runs = []
gc.callbacks.append(lambda phase, info: phase == "start" and runs.append(info))
from skdl import MLPClassifier
assert "torch" in sys.modules
assert gc.isenabled(), "the collector stayed paused"
gc.callbacks.clear()
# unpaused, it ran some 600 times while torch, scikit-learn and skorch loaded;
# paused, at most once: the first run after the pause
assert len(runs) <= 1, f"the collector ran {len(runs)} times during the import"
gc.disable()
from skdl import LVQClassifier
assert not gc.isenabled(), "a collector paused by the caller was resumed"
gc.enable()
import skdl._lazy as lazy
getattr_, _, _ = lazy.attach("skdl", {"no_such_module": ["Missing"]})
try:
    getattr_("Missing")
except ImportError:
    pass
else:
    raise AssertionError("importing a missing module did not fail")
assert gc.isenabled(), "a failed import left the collector paused"
"""
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (not on Windows)")
def test_a_process_forked_during_a_paused_import_runs_its_collector():
    # another thread forks while the first use of an estimator imports: the
    # block that resumes the collector goes on in the parent only
    _run(
        """
import gc, os
from skdl._lazy import _cycle_collection_paused
read, write = os.pipe()
with _cycle_collection_paused():
    pid = os.fork()
    if pid == 0:
        os.write(write, b"1" if gc.isenabled() else b"0")
        os._exit(0)
    assert not gc.isenabled(), "the parent's collector was resumed inside the block"
os.waitpid(pid, 0)
assert os.read(read, 1) == b"1", "the forked process started with its collector paused"
assert gc.isenabled()
gc.disable()
with _cycle_collection_paused():  # paused by the caller: it stays so in a child too
    pid = os.fork()
    if pid == 0:
        os.write(write, b"1" if gc.isenabled() else b"0")
        os._exit(0)
os.waitpid(pid, 0)
assert os.read(read, 1) == b"0", "a child resumed a collector its parent had paused"
gc.enable()
"""
    )


@pytest.mark.parametrize(
    "package",
    [
        "skdl",
        "skdl.feature_extraction",
        "skdl.generative",
        "skdl.language",
        "skdl.memory",
        "skdl.neural_network",
    ],
)
def test_lazy_packages_list_their_public_names_only(package):
    import importlib

    module = importlib.import_module(package)
    names = dir(module)
    assert set(module.__all__) <= set(names)
    # the helper that builds the lazy imports is not a name of the package
    assert "attach" not in names and not hasattr(module, "attach")
