"""Read and rewrite skdl model files the way an attacker can: the content changes
and the SHA-256 digest is recomputed, so that only ``load``'s own checks stand
between the file and the estimator."""

from __future__ import annotations

import io
import json

import torch

from skdl.io import _digest


def read(path) -> tuple[dict, dict[str, torch.Tensor]]:
    """The parsed header and the tensors of a file written by ``skdl.io.save``."""
    payload = torch.load(path, weights_only=True)
    return json.loads(payload["header"]), payload["tensors"]


def pack(header, tensors: dict, *, text: str | None = None) -> bytes:
    """File bytes with ``header`` (or the raw header ``text``) and a valid digest."""
    text = json.dumps(header) if text is None else text
    buffer = io.BytesIO()
    payload = {"header": text, "sha256": _digest(text, tensors), "tensors": tensors}
    torch.save(payload, buffer)
    return buffer.getvalue()


def write(path, header, tensors: dict, *, text: str | None = None) -> None:
    """Write ``header`` and ``tensors`` to ``path`` as a file with a valid digest."""
    with open(path, "wb") as file:
        file.write(pack(header, tensors, text=text))
