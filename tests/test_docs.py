"""The documentation covers every public estimator: a docstring example and a
gallery example that uses it (the acceptance rules of the docs); the README's
code runs as shown."""

import inspect
import re
import textwrap
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

from skdl.utils import torch_threads
from skdl.utils.discovery import all_estimators

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
README = ROOT / "README.rst"
ESTIMATORS = all_estimators()
IDS = [name for name, _ in ESTIMATORS]


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="no examples/ in this checkout")
@pytest.mark.parametrize("name", IDS)
def test_every_estimator_is_used_in_a_gallery_example(name):
    scripts = sorted(EXAMPLES.glob("*/plot_*.py"))
    users = [p for p in scripts if re.search(rf"\b{name}\(", p.read_text("utf-8"))]
    assert users, (
        f"No gallery example constructs {name}: add examples/<family>/plot_*.py "
        f"that uses it (searched {len(scripts)} scripts)."
    )


@pytest.mark.parametrize(("name", "cls"), ESTIMATORS, ids=IDS)
def test_every_estimator_docstring_has_an_example(name, cls):
    doc = inspect.getdoc(cls) or ""
    _, found, examples = doc.partition("Examples\n--------\n")
    assert found and ">>> " in examples, (
        f"{name}'s docstring needs an 'Examples' section with a doctest."
    )


def python_blocks(text: str) -> list[str]:
    """The bodies of the ``.. code-block:: python`` directives of a reST text."""
    blocks = []
    for match in re.finditer(r"^\.\. code-block:: python\n((?:\n| .*\n)+)", text, re.M):
        blocks.append(textwrap.dedent(match.group(1)).strip() + "\n")
    return blocks


def test_python_blocks_are_found():
    text = "Intro\n\n.. code-block:: python\n\n    a = 1\n\n    b = a\n\nafter\n"
    assert python_blocks(text) == ["a = 1\n\nb = a\n"]


@pytest.mark.skipif(not README.is_file(), reason="no README.rst in this checkout")
@pytest.mark.filterwarnings("error")
def test_readme_python_code_runs_and_prints_what_it_says(capsys):
    text = README.read_text("utf-8")
    blocks = python_blocks(text)
    assert blocks, "README.rst has no python code block"
    namespace = {}
    # one thread: the snippets are small, and on a busy machine thread pools
    # spinning against other work made them ten times slower
    with torch_threads(1), threadpool_limits(limits=1):
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)
    for line in capsys.readouterr().out.splitlines():
        assert f"``{line}``" in text, f"README.rst does not show the output {line!r}"


def test_api_pages_list_inherited_public_methods(tmp_path):
    """The class template and the member filter of docs/sphinxext, in a small
    Sphinx project: an estimator's page lists what it inherits from skdl's and
    scikit-learn's mixins (predict, score, fit_transform...), a module's page
    leaves out what it inherits from torch.nn.Module."""
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    from sphinx.application import Sphinx

    (tmp_path / "conf.py").write_text(
        textwrap.dedent(f"""\
            import sys
            from docutils.parsers.rst import Directive

            sys.path.insert(0, {str(ROOT / "docs" / "sphinxext")!r})
            from skdl_api import _skip_foreign_members

            extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "numpydoc"]
            templates_path = [{str(ROOT / "docs" / "_templates")!r}]
            autosummary_generate = True
            numpydoc_show_class_members = False


            class Minigallery(Directive):  # sphinx-gallery's, not needed here
                optional_arguments = 1
                final_argument_whitespace = True
                option_spec = {{"add-heading": str}}

                def run(self):
                    return []


            def setup(app):
                app.connect("autodoc-skip-member", _skip_foreign_members)
                app.add_directive("minigallery", Minigallery)
            """),
        encoding="utf-8",
    )
    (tmp_path / "index.rst").write_text(
        "API\n===\n\n.. autosummary::\n   :toctree: generated/\n\n"
        "   skdl.MLPClassifier\n   skdl.HOGTransformer\n   skdl.modules.LVQModule\n",
        encoding="utf-8",
    )
    out = tmp_path / "html"
    app = Sphinx(tmp_path, tmp_path, out, tmp_path / "doctrees", "html", status=None)
    app.build()

    def members(name):
        html = (out / "generated" / f"{name}.html").read_text("utf-8")
        return set(re.findall(rf'id="{re.escape(name)}\.(\w+)"', html))

    expected = {"fit", "predict", "predict_proba", "score", "summary", "get_params"}
    assert expected <= members("skdl.MLPClassifier")
    assert {"fit", "transform", "fit_transform", "set_output"} <= members(
        "skdl.HOGTransformer"
    )
    lvq_module = members("skdl.modules.LVQModule")
    assert "forward" in lvq_module
    assert not lvq_module & {"apply", "parameters", "zero_grad", "to"}


SHARED_OPTIONS = ROOT / "docs" / "user_guide" / "neural_networks.rst"


def _shared_option_rows() -> list[tuple[list[str], set[str]]]:
    """(option names, estimator names) of each row of the shared-options table."""
    text = SHARED_OPTIONS.read_text("utf-8")
    table = text.split(".. _shared-options:", 1)[1].split("\n\n", 4)[-1]
    rows = re.findall(
        r"^   \* - (.*?)\n     - .*?\n     - (.*?)(?=\n   \* |\n\n)", table, re.S | re.M
    )
    parsed = []
    for option, estimators in rows[1:]:  # the first is the header
        names = re.findall(r"``(?:fit\(\.\.\., )?([a-z_]+)", option)
        parsed.append((names, set(re.findall(r"\w+", estimators))))
    return parsed


def test_the_shared_options_table_says_which_estimators_take_each_option():
    rows = _shared_option_rows()
    assert len(rows) == 11
    for names, listed in rows:
        takes = set()
        for name, cls in ESTIMATORS:
            params = set(inspect.signature(cls).parameters)
            params |= set(inspect.signature(cls.fit).parameters)
            if all(option in params for option in names):
                takes.add(name)
        assert listed == takes, (names, sorted(listed ^ takes))
