"""Sphinx configuration of the skdl documentation.

Build: ``tox -e docs`` (or ``sphinx-build -W --keep-going -b html docs
docs/_build/html``). The build works offline: links into the documentation of
Python, NumPy, scikit-learn, PyTorch and skorch (intersphinx) are made only from
inventories that are available. Put ``<name>.inv`` files (e.g. ``sklearn.inv``,
downloaded from ``<url>/objects.inv``) in ``docs/_inventories/``, or set
``SKDL_DOCS_INTERSPHINX=1`` to fetch them while building (needs internet).
Without either, those references render as plain code and the build stays green.
"""

import os
import sys
from pathlib import Path

import torch
from docutils import nodes
from threadpoolctl import threadpool_limits

import skdl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

project = "skdl"
author = "skdl developers"
copyright = "skdl developers"
version = release = skdl.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # MathJax's files from the sphinx-mathjax-offline package, copied into
    # _static/mathjax: the formulas render without a network (no CDN)
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "skdl_api",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "**/*.py.md5"]
default_role = "literal"

# -- API reference (pages generated from __all__ by sphinxext/skdl_api.py) ------
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- intersphinx, offline by default -----------------------------------------------
_INVENTORIES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "sklearn": "https://scikit-learn.org/stable",
    "torch": "https://docs.pytorch.org/docs/stable",
    "skorch": "https://skorch.readthedocs.io/en/stable",
}
_online = os.environ.get("SKDL_DOCS_INTERSPHINX") == "1"
intersphinx_mapping = {}
for _name, _url in _INVENTORIES.items():
    _cached = HERE / "_inventories" / f"{_name}.inv"
    if _cached.is_file():
        intersphinx_mapping[_name] = (_url, str(_cached))
    elif _online:
        intersphinx_mapping[_name] = (_url, None)

# sklearn's docstrings that our estimators inherit (set_fit_request, score,
# set_output...) refer to its glossary, user guide and examples; without sklearn's
# inventory those links go straight to its site (no download: the URLs are fixed)
_SKLEARN_FALLBACK = {
    ("term", "meta-estimator"): "glossary.html#term-meta-estimator",
    ("ref", "metadata_routing"): "metadata_routing.html",
    ("ref", "accuracy_score"): "modules/model_evaluation.html#accuracy-score",
    ("ref", "r2_score"): "modules/model_evaluation.html#r2-score",
    ("ref", "df_output_transform"): "modules/df_output_transform.html",
    (
        "ref",
        "sphx_glr_auto_examples_miscellaneous_plot_set_output.py",
    ): "auto_examples/miscellaneous/plot_set_output.html",
}


def _link_to_sklearn(app, env, node, contnode):
    key = (node.get("reftype"), node.get("reftarget", "").lower())
    if node.get("refdomain") == "std" and key in _SKLEARN_FALLBACK:
        uri = f"{_INVENTORIES['sklearn']}/{_SKLEARN_FALLBACK[key]}"
        return nodes.reference("", "", contnode, refuri=uri, internal=False)
    return None


def setup(app):
    # after intersphinx's handler, which answers first when the inventory is there
    app.connect("missing-reference", _link_to_sklearn, priority=900)


# -- gallery ------------------------------------------------------------------------
# The examples run in this process. They are small, and on a busy 2-core CI runner
# PyTorch's and BLAS's thread pools spinning against other jobs made them up to a
# hundred times slower than with one thread, so the build holds both to
# SKDL_DOCS_THREADS threads (default 1). The comparison example says so.
_threads = int(os.environ.get("SKDL_DOCS_THREADS", "1"))
torch.set_num_threads(_threads)
_thread_limits = threadpool_limits(limits=_threads)

# one section per folder of examples/; families listed here come first in this
# order, folders not listed follow alphabetically, and listed folders that do not
# exist (yet) are skipped
_FAMILY_ORDER = [
    "neural_network",
    "lvq",
    "rbm",
    "autoencoder",
    "memory",
    "feature_extraction",
]
_examples = HERE.parent / "examples"
_folders = sorted(p.name for p in _examples.iterdir() if p.is_dir())
_ordered = [f for f in _FAMILY_ORDER if f in _folders]
_ordered += [f for f in _folders if f not in _ordered]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "subsection_order": [f"../examples/{folder}" for folder in _ordered],
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skdl",),
    "backreferences_dir": "generated/backreferences",
    "plot_gallery": "True",
    "filename_pattern": "/plot_",
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 5,
    "remove_config_comments": True,
}

# -- plots in the user guide ---------------------------------------------------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]

# -- HTML ---------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skdl {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
}
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["skdl.css"]
