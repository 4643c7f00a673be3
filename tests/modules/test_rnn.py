"""Recurrent modules: shapes, parameter counts, and exact agreement with torch's
fused (packed) recurrent layers whatever the padding."""

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from skdl.modules import RecurrentEncoder, RecurrentModule, pool_steps


def _copy_from_fused(encoder, fused):
    """Load the weights of a fused torch RNN into a RecurrentEncoder."""
    for i, layer in enumerate(encoder.layers):
        cells = [("", layer.forward_cell), ("_reverse", layer.backward_cell)]
        for suffix, cell in cells:
            if cell is None:
                continue
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                source = getattr(fused, f"{name}_l{i}{suffix}")
                getattr(cell, f"{name}_l0").data.copy_(source.data)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_matches_torch_on_packed_sequences(cell, bidirectional):
    torch.manual_seed(0)
    lengths = torch.tensor([7, 3, 1, 5])
    x = torch.randn(4, 7, 3)
    fused = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](
        3, 5, num_layers=2, bidirectional=bidirectional, batch_first=True
    )
    encoder = RecurrentEncoder(
        3, 5, num_layers=2, cell=cell, bidirectional=bidirectional
    )
    _copy_from_fused(encoder, fused)
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    expected, _ = pad_packed_sequence(fused(packed)[0], batch_first=True)
    valid = (torch.arange(7) < lengths.unsqueeze(1)).unsqueeze(2)
    for pack in (False, True):
        got = encoder(x, lengths, pack=pack)
        torch.testing.assert_close(got * valid, expected * valid)
    # parameter counts are those of the fused layer
    assert sum(p.numel() for p in encoder.parameters()) == sum(
        p.numel() for p in fused.parameters()
    )


@pytest.mark.parametrize("pooling", ["last", "max", "mean"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_same_sequences_give_the_same_outputs_whatever_the_batch_padding(pooling, cell):
    torch.manual_seed(0)
    module = RecurrentModule(
        6,
        8,
        3,
        num_layers=2,
        cell=cell,
        bidirectional=True,
        pooling=pooling,
        dense_layers=(5,),
        vocabulary_size=30,
    ).eval()
    sequences = [[4, 9, 2], [7], [3, 3, 8, 12, 5, 6, 11]]
    alone = torch.cat([module(torch.tensor([s])) for s in sequences])
    width = 20  # far more padding than any batch needs
    padded = torch.zeros(len(sequences), width, dtype=torch.int64)
    for row, sequence in enumerate(sequences):
        padded[row, : len(sequence)] = torch.tensor(sequence)
    with torch.no_grad():
        torch.testing.assert_close(module(padded), alone)
        module.pack = True
        torch.testing.assert_close(module(padded), alone)


def test_empty_sequence_reads_as_one_padding_step():
    torch.manual_seed(0)
    module = RecurrentModule(4, 6, 2, vocabulary_size=10).eval()
    with torch.no_grad():
        empty = module(torch.zeros(1, 3, dtype=torch.int64))
        one_pad = module(torch.zeros(1, 1, dtype=torch.int64))
    torch.testing.assert_close(empty, one_pad)
    assert torch.isfinite(empty).all()


@pytest.mark.parametrize(
    ("bidirectional", "num_layers", "width"), [(False, 1, 8), (True, 3, 16)]
)
def test_shapes(bidirectional, num_layers, width):
    encoder = RecurrentEncoder(
        3, 8, num_layers=num_layers, bidirectional=bidirectional, dropout=0.5
    )
    assert encoder.output_size == width
    assert encoder(torch.zeros(2, 9, 3)).shape == (2, 9, width)
    module = RecurrentModule(3, 8, 4, num_layers=num_layers, dense_layers=(7, 5))
    assert module(torch.zeros(2, 9, 3)).shape == (2, 4)
    text = RecurrentModule(5, 8, 1, bidirectional=bidirectional, vocabulary_size=20)
    assert text(torch.ones(3, 4, dtype=torch.int64)).shape == (3, 1)


def test_pooling_ignores_padding_and_reads_both_ends():
    outputs = torch.tensor([[[1.0, 10.0], [3.0, 20.0], [99.0, 99.0]]])
    lengths = torch.tensor([2])
    assert pool_steps(outputs, lengths, "max", False).tolist() == [[3.0, 20.0]]
    assert pool_steps(outputs, lengths, "mean", False).tolist() == [[2.0, 15.0]]
    assert pool_steps(outputs, lengths, "last", False).tolist() == [[3.0, 20.0]]
    # bidirectional: forward half at the last real step, backward half at step 0
    assert pool_steps(outputs, lengths, "last", True).tolist() == [[3.0, 10.0]]
    assert pool_steps(outputs, None, "last", True).tolist() == [[99.0, 10.0]]
