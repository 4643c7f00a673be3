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

import skdl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

project = "skdl"
author = "skdl developers"
copyright = "skdl developers"  # noqa: A001
version = release = skdl.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
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
autodoc_default_options = {"inherited-members": False}
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

# -- gallery ------------------------------------------------------------------------
# one section per folder of examples/; families listed here come first in this
# order, folders not listed follow alphabetically, and listed folders that do not
# exist (yet) are skipped
_FAMILY_ORDER = ["neural_network", "lvq", "rbm", "feature_extraction"]
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
    "reference_url": {"skdl": None},
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
