"""The losses and blocks of skdl.modules refuse tensors of the wrong shape or dtype.

Called directly, an elementwise loss broadcast an ``(n, 1)`` input against an
``(n,)`` target to ``n * n`` losses and returned a wrong number without a word,
and a UserLoss whose function did so was accepted; class indices of the wrong
shape or dtype gave torch's errors from deep inside ("0D or 1D target tensor
expected", "gather(): Expected dtype int32/int64 for index").
"""

import re

import numpy as np
import pytest
import torch

from skdl.modules import (
    RBM,
    STORAGE_RULES,
    AbsoluteError,
    BinaryHinge,
    ContrastiveDivergence,
    EnergyGapLoss,
    FocalLoss,
    HalfPoissonLoss,
    HalfSquaredError,
    MulticlassHinge,
    NextTokenLoss,
    PercentageError,
    ReconstructionLoss,
    SquaredLogError,
    UserLoss,
    capacity,
    classic_energy,
    classic_recall,
    corrupt,
    dense_energy,
    dense_recall,
    gradient_penalty,
    kl_sparsity,
    pseudo_likelihood,
    token_log_likelihoods,
)

ELEMENTWISE = [
    HalfSquaredError,
    HalfPoissonLoss,
    AbsoluteError,
    PercentageError,
    SquaredLogError,
    BinaryHinge,
    lambda reduction: FocalLoss(binary=True, reduction=reduction),
]


@pytest.mark.parametrize("make", ELEMENTWISE)
@pytest.mark.parametrize("input_shape, target_shape", [((4, 1), (4,)), ((4,), (4, 1))])
def test_elementwise_losses_refuse_targets_that_would_broadcast(
    make, input_shape, target_shape
):
    loss = make(reduction="sum")
    with pytest.raises(
        ValueError,
        match=r"elementwise, so they need the same shape; got input of shape "
        + re.escape(f"{input_shape} and target of shape {target_shape}. Pass ")
        + r"target\.reshape",
    ):
        loss(torch.rand(input_shape), torch.rand(target_shape))
    # the same values, one shape: accepted
    assert loss(torch.rand(input_shape), torch.rand(input_shape)).shape == ()


@pytest.mark.parametrize(
    "make", [MulticlassHinge, lambda reduction: FocalLoss(reduction=reduction)]
)
def test_multiclass_losses_take_scores_and_integer_class_indices(make):
    loss = make(reduction="none")
    scores, target = torch.randn(4, 3), torch.tensor([0, 2, 1, 2])
    expected = loss(scores, target)
    assert expected.shape == (4,)
    # any integer type is a class index
    torch.testing.assert_close(loss(scores, target.int()), expected)
    shapes = r"takes input of shape \(n_samples, n_classes\) .* and target of shape"
    with pytest.raises(ValueError, match=shapes + r".*\(4, 1\)\. Pass target\.resh"):
        loss(scores, target[:, None])
    with pytest.raises(ValueError, match=shapes + r".*\(3,\)\.$"):
        loss(scores, target[:3])
    with pytest.raises(ValueError, match=shapes + r".*got input of shape \(4,\)"):
        loss(scores[:, 0], target)
    with pytest.raises(ValueError, match=r"\(4, 3\)\. Pass .*target\.argmax"):
        loss(scores, torch.eye(3)[target])
    with pytest.raises(
        ValueError, match=r"integers in target \(class indices\); got torch"
    ):
        loss(scores, target.float())
    with pytest.raises(ValueError, match=r"floats in input; got torch\.int64"):
        loss(scores.long(), target)


def test_binary_focal_loss_takes_integer_labels_of_the_input_shape():
    loss = FocalLoss(binary=True, reduction="none")
    scores, labels = torch.randn(5, 2), torch.randint(0, 2, (5, 2))
    torch.testing.assert_close(loss(scores, labels), loss(scores, labels.float()))


@pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")
def test_user_loss_refuses_losses_of_every_sample_against_every_target():
    squared = UserLoss(lambda outputs, target: (outputs - target) ** 2)
    with pytest.raises(
        ValueError,
        match=r"returned Tensor of shape \(4, 4\); it must return .* It was given "
        r"input \(4, 1\) and target \(4,\): check the shapes inside it",
    ):
        squared(torch.rand(4, 1), torch.rand(4))
    # the broadcast may happen inside the function, from matching shapes
    squeezed = UserLoss(lambda outputs, target: (outputs - target.squeeze(1)) ** 2)
    with pytest.raises(ValueError, match=r"given input \(4, 1\) and target \(4, 1\)"):
        squeezed(torch.rand(4, 1), torch.rand(4, 1))
    with pytest.raises(ValueError, match=r"returned Tensor of shape \(4, 4\)"):
        UserLoss(torch.nn.L1Loss())(torch.rand(4, 1), torch.rand(4))
    # one per sample, as a column, is one per sample
    picked = UserLoss(lambda outputs, target: outputs.gather(1, target[:, None]))
    assert picked(torch.rand(4, 3), torch.tensor([0, 1, 2, 0])).shape == ()


@pytest.mark.parametrize(
    "call",
    [NextTokenLoss(), lambda logits, ids: token_log_likelihoods(logits, ids)],
    ids=["NextTokenLoss", "token_log_likelihoods"],
)
def test_language_losses_check_the_ids_against_the_scores(call):
    logits = torch.randn(2, 5, 4)
    ids = torch.tensor([[5, 2, 1, 0, 0], [5, 3, 3, 4, 1]])
    call(logits, ids)
    with pytest.raises(
        ValueError, match=r"ids of shape \(batch, steps\) .*ids of shape \(2, 4\)"
    ):
        call(logits, ids[:, :4])
    with pytest.raises(ValueError, match=r"of shape \(batch, steps, V\) .*\(5, 4\)"):
        call(logits[0], ids[0])
    with pytest.raises(ValueError, match=r"integers in ids \(the token ids read\)"):
        call(logits, ids.float())
    # torch named the shifted column: 'Target 4 is out of bounds'
    with pytest.raises(ValueError, match="beyond the vocabulary of V=4: the ids of"):
        call(logits, torch.tensor([[5, 2, 7, 0, 0], [5, 3, 3, 4, 1]]))


def test_reconstruction_loss_refuses_targets_that_would_broadcast():
    loss = ReconstructionLoss(2, reduction="none")
    output = torch.rand(4, 3)  # reconstruction of 2 features, code of 1
    assert loss(output, torch.rand(4, 2)).shape == (4,)
    with pytest.raises(ValueError, match=r"got reconstruction of shape \(4, 2\) and "):
        loss(output, torch.rand(4, 1))  # was broadcast, with torch's warning
    with pytest.raises(ValueError, match=r"takes output of shape \(n_rows, n_feat"):
        loss(torch.rand(3), torch.rand(4, 2))


def test_rbm_checks_its_inputs():
    rbm = RBM(6, 3, n_chains=2)
    rbm.reset_parameters()
    with pytest.raises(ValueError, match=r"RBM takes v of shape \(n_rows, n_visib"):
        rbm(torch.zeros(4, 5))  # was 'mat1 and mat2 shapes cannot be multiplied'
    with pytest.raises(ValueError, match=r"got shape \(6,\)"):
        rbm.free_energy(torch.zeros(6))
    with pytest.raises(ValueError, match=r"RBM computes in torch\.float32; got v of"):
        rbm(torch.zeros(4, 6, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"h of shape \(n_rows, n_hidden=3\)"):
        rbm.visible_mean(torch.zeros(4, 6))
    with pytest.raises(ValueError, match=r"noise of shape \(4, 6\); got shape \(4, 3"):
        rbm.sample_visible(torch.zeros(4, 3), torch.zeros(4, 3))
    cd = ContrastiveDivergence(rbm, learning_rate=0.1, batch_size=4)
    with pytest.raises(ValueError, match=r"v of shape \(n_rows, n_visible=6\)"):
        cd.step(torch.zeros(4, 5), None, torch.rand(1, 2, 3))
    # the hidden noise of 2 chains, not of 4 rows: torch broadcast it or failed
    with pytest.raises(ValueError, match=r"hidden_noise of shape \(1, 2, 3\)"):
        cd.step(torch.zeros(4, 6), None, torch.rand(1, 4, 3))
    cd.step(torch.zeros(4, 6), None, torch.rand(1, 2, 3))
    with pytest.raises(ValueError, match=r"integers in flipped \(the feature to fl"):
        pseudo_likelihood(rbm.free_energy, torch.zeros(2, 6), torch.tensor([0.0, 1]))
    with pytest.raises(ValueError, match=r"flipped of shape \(n_rows,\)"):
        pseudo_likelihood(rbm.free_energy, torch.zeros(2, 6), torch.tensor([0]))


@pytest.mark.parametrize("rule", sorted(STORAGE_RULES))
def test_storage_rules_take_a_float_matrix_of_patterns(rule):
    patterns = torch.tensor([[1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, -1.0]])
    assert STORAGE_RULES[rule](patterns).shape == (4, 4)
    with pytest.raises(ValueError, match=r"patterns of shape \(n_rows, n_units\)"):
        STORAGE_RULES[rule](patterns[0])
    with pytest.raises(ValueError, match=r"float dtype; got torch\.int64"):
        STORAGE_RULES[rule](patterns.long())
    with pytest.raises(ValueError, match=r"got booleans\. Pass patterns"):
        STORAGE_RULES[rule](patterns > 0)
    # 0/1 or real-valued patterns were stored as they were, into a network
    # whose recall sets units to -1 or +1
    for values in (torch.tensor([[1.0, 0.0, 1.0, 1.0]]), patterns * 0.5):
        with pytest.raises(
            ValueError,
            match=r"patterns of -1/\+1 values; got others\. .*pass patterns \* 2 - 1",
        ):
            STORAGE_RULES[rule](values)


def _meta(*shape, dtype=torch.float32):
    return torch.zeros(shape, dtype=dtype, device="meta")


@pytest.mark.parametrize(
    "call",
    [
        lambda: AbsoluteError()(_meta(4, 2), _meta(4, 2)),
        lambda: FocalLoss()(_meta(4, 3), _meta(4, dtype=torch.long)),
        lambda: MulticlassHinge()(_meta(4, 3), _meta(4, dtype=torch.int32)),
        lambda: NextTokenLoss()(_meta(2, 5, 4), _meta(2, 5, dtype=torch.long)),
        lambda: EnergyGapLoss()(_meta(4), None),
        lambda: kl_sparsity(_meta(4, 3), 0.1),
        lambda: classic_energy(_meta(4, 6), _meta(6, 6)),
        lambda: dense_energy(_meta(4, 6), _meta(2, 6), 2.0),
    ],
)
def test_the_checks_read_no_values(call):
    # a tensor on the meta device has no values: reading one (what would wait
    # for a GPU on every batch) raises
    with pytest.raises(RuntimeError):
        bool(_meta(1))
    assert call().device.type == "meta"


def test_focal_loss_ignores_no_label():
    # torch's cross_entropy ignores class -100 by default: a wrong label
    # got a loss of 0 without a word
    scores = torch.randn(3, 4)
    with pytest.raises(IndexError, match="-100 is out of bounds"):
        FocalLoss(reduction="none")(scores, torch.tensor([0, -100, 2]))


def test_energy_gap_loss_takes_one_float_surrogate_per_row():
    assert EnergyGapLoss(reduction="none")(torch.rand(4), None).shape == (4,)
    # an (n, 1) column went through 'none' as it was, and a sample weight of
    # shape (n,) then broadcast against it to (n, n)
    with pytest.raises(
        ValueError,
        match=r"EnergyGapLoss takes output of shape \(n_rows,\) .* got shape "
        r"\(4, 1\)\. Pass output\.reshape\(4,\)",
    ):
        EnergyGapLoss(reduction="none")(torch.rand(4, 1), None)
    # booleans were summed into an int64, ints were torch's 'could not infer'
    for dtype in (torch.bool, torch.int64):
        with pytest.raises(ValueError, match=r"output of a float dtype; got torch"):
            EnergyGapLoss(reduction="sum")(torch.ones(4, dtype=dtype), None)


def test_kl_sparsity_takes_a_matrix_of_codes_and_a_rate_strictly_within_0_1():
    code = torch.rand(5, 3)
    assert kl_sparsity(code, 0.05).shape == ()
    # one row's code was taken for a column of rows: a number, no word
    with pytest.raises(
        ValueError,
        match=r"takes code of shape \(n_rows, n_code\), .* got shape \(3,\)\.",
    ):
        kl_sparsity(code[0], 0.05)
    # 0 and 1 gave nan, as did rates outside them
    for rho in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"rho strictly between 0 and 1; got"):
            kl_sparsity(code, rho)


def test_gaussian_corruption_takes_floats():
    generator = torch.Generator().manual_seed(0)
    ones = torch.ones(2, 4, dtype=torch.int64)
    # the noise was cast to the integers (to -1, 0 or 1 mostly) before scaling
    with pytest.raises(
        ValueError, match=r"corrupt needs x of a float dtype; got torch\.int64\. Pass"
    ):
        corrupt(ones, "gaussian", 0.3, generator)
    # masking zeroes entries: integers are masked as they are
    assert corrupt(ones, "masking", 0.5, generator).dtype == torch.int64


@pytest.mark.parametrize(
    "noise, level, interval",
    [
        ("masking", 1.5, r"\[0, 1\]"),  # masked everything
        ("masking", -0.1, r"\[0, 1\]"),  # masked nothing
        ("masking", float("nan"), r"\[0, 1\]"),  # masked everything
        ("gaussian", -0.3, r"\[0, inf\)"),
        ("gaussian", float("inf"), r"\[0, inf\)"),  # nan or inf entries
        ("gaussian", True, r"\[0, inf\)"),
    ],
)
def test_corruption_levels_outside_their_range_are_refused(noise, level, interval):
    generator = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match=rf"level must be a number in {interval}; got"):
        corrupt(torch.ones(2, 4), noise, level, generator)
    # the ends of the ranges are levels
    assert corrupt(torch.ones(2, 4), "masking", 1, generator).sum() == 0
    assert torch.equal(corrupt(torch.ones(2, 4), noise, 0, generator), torch.ones(2, 4))


def test_gradient_penalty_takes_real_and_fake_samples_alike():
    critic = torch.nn.Linear(3, 1)

    def score(x, labels):
        return critic(x)

    real = torch.rand(4, 3)
    assert gradient_penalty(score, real, torch.rand(4, 3)).shape == ()
    # fake samples of another shape were broadcast against the real ones
    for fake in (torch.rand(1, 3), torch.rand(4, 1)):
        with pytest.raises(
            ValueError,
            match=r"gradient_penalty compares real and fake elementwise, .* got real "
            r"of shape \(4, 3\) and fake of shape",
        ):
            gradient_penalty(score, real, fake)
    # float64 real samples gave torch's 'mat1 and mat2 must have the same dtype'
    with pytest.raises(
        ValueError, match=r"real and fake of one float dtype; got torch\.float64 and"
    ):
        gradient_penalty(score, real.double(), torch.rand(4, 3))
    with pytest.raises(ValueError, match=r"needs real of a float dtype; got torch\.i"):
        gradient_penalty(score, real.long(), torch.rand(4, 3).long())
    # the mixing weights were float32 whatever the samples: a bfloat16 critic
    # was given float32 points
    critic.to(torch.bfloat16)
    real = real.to(torch.bfloat16)
    assert gradient_penalty(score, real, real.flip(0)).dtype == torch.bfloat16


_XI = torch.tensor(
    [[1.0, -1.0, 1.0, -1.0, 1.0, -1.0], [1.0, 1.0, 1.0, -1.0, -1.0, -1.0]]
)


def _classic_recall(states, weight, update="sync"):
    generator = torch.Generator().manual_seed(0)
    return classic_recall(
        states, weight, update=update, max_iter=5, generator=generator
    )[0]


HOPFIELD = {
    "classic_recall": (_classic_recall, "weight"),
    "classic_energy": (classic_energy, "weight"),
    "dense_recall": (
        lambda s, x: dense_recall(s, x, beta=2.0, max_iter=5)[0],
        "patterns",
    ),
    "dense_energy": (lambda s, x: dense_energy(s, x, 2.0), "patterns"),
}


@pytest.mark.parametrize("name", sorted(HOPFIELD))
def test_hopfield_dynamics_check_the_states_against_the_network(name):
    call, second = HOPFIELD[name]
    network = STORAGE_RULES["hebbian"](_XI) if second == "weight" else _XI
    call(_XI, network)
    # each was torch's error: 'Dimension out of range', 'mat1 and mat2 shapes
    # cannot be multiplied', 'expected m1 and m2 to have the same dtype'
    with pytest.raises(
        ValueError, match=rf"{name} takes states of shape \(n_rows, n_u"
    ):
        call(_XI[0], network)
    expected = r"\(6, 6\)" if second == "weight" else r"\(n_rows, n_units=6\)"
    with pytest.raises(ValueError, match=rf"{second} of shape {expected}; got shape"):
        call(_XI, network[:, :5])
    with pytest.raises(ValueError, match=r"states of a float dtype; got torch\.int64"):
        call(_XI.long(), network)
    with pytest.raises(
        ValueError,
        match=rf"computes in torch\.float64; got {second} of dtype torch\.float32\. "
        rf"Pass {second}\.to\(torch\.float64\)",
    ):
        call(_XI.double(), network)


def test_classic_recall_takes_sync_or_async_updates():
    weight = STORAGE_RULES["hebbian"](_XI)
    # anything but 'sync' ran the asynchronous dynamics
    with pytest.raises(ValueError, match=r"update must be one of 'sync', 'async'"):
        _classic_recall(_XI, weight, update="synchronous")


def test_recall_and_capacity_refuse_counts_and_rates_out_of_range():
    weight = STORAGE_RULES["hebbian"](_XI)
    generator = torch.Generator()
    # max_iter=0 returned the states unchanged as "not converged"; 2.5 a
    # TypeError from range(); beta=0 the mean of the patterns; a negative tol
    # ran every sweep
    for max_iter in (0, 2.5, -1):
        with pytest.raises(ValueError, match=r"max_iter must be an int >= 1; got"):
            classic_recall(
                _XI, weight, update="sync", max_iter=max_iter, generator=generator
            )
        with pytest.raises(ValueError, match=r"max_iter must be an int >= 1; got"):
            dense_recall(_XI, _XI, beta=2.0, max_iter=max_iter)
    for beta in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"beta must be a number in \(0, inf\)"):
            dense_recall(_XI, _XI, beta=beta, max_iter=5)
    with pytest.raises(ValueError, match=r"tol must be a number in \[0, inf\)"):
        dense_recall(_XI, _XI, beta=2.0, max_iter=5, tol=-1e-3)
    # NumPy ints are counts
    assert dense_recall(_XI, _XI, beta=2.0, max_iter=np.int64(5))[1].max() <= 5
    assert capacity("hebbian", np.int64(1000)) == capacity("hebbian", 1000)
    with pytest.raises(ValueError, match=r"n_units must be an int >= 1; got 0"):
        capacity("hebbian", 0)
