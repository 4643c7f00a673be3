import itertools
import warnings

import numpy as np
import pytest
import torch
from api_checks import check_estimator_api
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skdl import HopfieldNetwork
from skdl.datasets import load_digit_sheet
from skdl.modules import STORAGE_RULES, classic_energy, dense_energy, dense_recall

pytestmark = pytest.mark.filterwarnings("ignore:.*patterns stored in:UserWarning")


def _random_patterns(n_patterns, n_units, seed=0):
    return np.random.RandomState(seed).choice([-1, 1], size=(n_patterns, n_units))


def _flip(patterns, share, seed=1):
    """Copies of the patterns with ``share`` of each row's units flipped."""
    rng = np.random.RandomState(seed)
    noisy = patterns.copy()
    n_flips = round(share * patterns.shape[1])
    for row in noisy:
        row[rng.choice(len(row), n_flips, replace=False)] *= -1
    return noisy


def _recall_rate(memory, patterns, share):
    recalled = memory.predict(_flip(patterns, share))
    return float((recalled == patterns).all(axis=1).mean())


# -- storage rules against the formulas, written out ---------------------------------
def test_storage_rules_equal_their_formulas():
    xi = _random_patterns(3, 6).astype(float)
    n = xi.shape[1]
    hebb = np.zeros((n, n))
    for i, j in itertools.product(range(n), repeat=2):
        if i != j:
            hebb[i, j] = sum(p[i] * p[j] for p in xi) / n
    storkey = np.zeros((n, n))
    for p in xi:  # Storkey (1997), one pattern at a time
        before = storkey.copy()
        for i, j in itertools.product(range(n), repeat=2):
            if i == j:
                continue
            h_ij = sum(before[i, k] * p[k] for k in range(n) if k not in (i, j))
            h_ji = sum(before[j, k] * p[k] for k in range(n) if k not in (i, j))
            storkey[i, j] += (p[i] * p[j] - p[i] * h_ji - h_ij * p[j]) / n
    projection = np.linalg.pinv(xi) @ xi
    np.fill_diagonal(projection, 0)
    patterns = torch.from_numpy(xi)
    for rule, expected in (
        ("hebbian", hebb),
        ("storkey", storkey),
        ("pseudoinverse", projection),
    ):
        np.testing.assert_allclose(
            STORAGE_RULES[rule](patterns).numpy(), expected, atol=1e-12
        )
        np.testing.assert_allclose(
            HopfieldNetwork(rule).fit(xi).coef_, expected, atol=1e-12
        )


# -- dynamics ------------------------------------------------------------------------
def test_async_recall_ends_in_a_fixed_point_of_lower_energy():
    patterns = _random_patterns(30, 100)
    memory = HopfieldNetwork(random_state=0).fit(patterns)  # beyond 0.138 N
    start = np.random.RandomState(2).choice([-1, 1], size=(40, 100))
    end, n_iter = memory.recall(start, return_n_iter=True)
    fields = end @ np.round(memory.coef_ * 100)  # Hebb's weights: multiples of 1/N
    assert ((fields * end > 0) | (fields == 0)).all()  # no unit wants to flip
    assert (memory.energy(end) <= memory.energy(start)).all()
    assert (n_iter >= 2).all()
    assert (memory.recall(end, return_n_iter=True)[1] == 1).all()


@pytest.mark.parametrize("rule", sorted(STORAGE_RULES))
def test_couplings_are_exactly_symmetric_so_async_recall_settles(rule):
    # more patterns than units: the pseudoinverse rule's couplings are then
    # rounding noise, whose two triangles differed by a few ulps and cycled
    patterns = _random_patterns(60, 50)
    memory = HopfieldNetwork(rule, max_iter=50, random_state=0).fit(patterns)
    np.testing.assert_array_equal(memory.coef_, memory.coef_.T)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        memory.predict(_flip(patterns, 0.2))


def test_sync_updates_can_cycle_where_async_updates_settle():
    # one stored pattern (1, -1): its weight -1/2 flips both units of (1, 1)
    # together, forever, when they update at once
    memory = HopfieldNetwork(update="sync", max_iter=10).fit([[1, -1]])
    with pytest.warns(ConvergenceWarning, match="1 of 1 rows did not reach a fixed"):
        # after an even number of sweeps, back where it started
        assert memory.predict([[1, 1]]).tolist() == [[1, 1]]
    ends = {
        tuple(HopfieldNetwork(random_state=seed).fit([[1, -1]]).predict([[1, 1]])[0])
        for seed in range(8)
    }
    assert ends == {(1, -1), (-1, 1)}  # the random order decides which unit flips


def test_recall_is_the_same_alone_or_with_other_rows():
    patterns = _random_patterns(20, 64)
    memory = HopfieldNetwork(random_state=0).fit(patterns)
    noisy = _flip(patterns, 0.3)
    together = memory.predict(noisy)
    alone = np.vstack([memory.predict(row[None]) for row in noisy])
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(memory.predict(noisy), together)


def test_dense_energy_falls_along_the_update():
    patterns = torch.from_numpy(_random_patterns(40, 30).astype(float))
    state = torch.from_numpy(_flip(patterns.numpy().astype(int), 0.3).astype(float))
    energies = [dense_energy(state, patterns, 0.2)]
    for _ in range(5):
        state, _, _ = dense_recall(state, patterns, beta=0.2, max_iter=1)
        energies.append(dense_energy(state, patterns, 0.2))
    steps = torch.stack(energies)
    assert (steps[1:] <= steps[:-1] + 1e-9).all()
    assert (steps[-1] < steps[0]).all()


def test_energy_of_the_classic_network_by_hand():
    patterns = _random_patterns(3, 8)
    memory = HopfieldNetwork().fit(patterns)
    s = patterns[0]
    expected = -0.5 * sum(
        memory.coef_[i, j] * s[i] * s[j] for i in range(8) for j in range(8)
    )
    assert memory.energy(patterns[:1])[0] == pytest.approx(expected)
    torch.testing.assert_close(
        classic_energy(
            torch.tensor(s[None], dtype=torch.float64), torch.eye(8).double()
        ),
        torch.tensor([-4.0], dtype=torch.float64),
    )


# -- capacity ------------------------------------------------------------------------
def test_capacity_of_each_rule_on_random_patterns():
    # 200 units, 10% of each pattern flipped; measured exact recall rates
    # (patterns stored: rate) hebbian 10: 1.00, 28: 0.39, 60: 0.00; storkey 40:
    # 1.00, 60: 0.93; pseudoinverse 60: 1.00
    n = 200
    rates = {}
    for rule, n_patterns in itertools.product(STORAGE_RULES, (10, 28, 60)):
        patterns = _random_patterns(n_patterns, n, seed=n_patterns)
        memory = HopfieldNetwork(rule, random_state=0).fit(patterns)
        rates[rule, n_patterns] = _recall_rate(memory, patterns, 0.1)
    assert rates["hebbian", 10] == 1.0
    assert rates["hebbian", 60] < 0.05  # 0.3 N, twice the textbook 0.138 N
    assert rates["storkey", 28] == 1.0 and rates["storkey", 60] > 0.8
    assert rates["pseudoinverse", 60] == 1.0
    memory = HopfieldNetwork().fit(_random_patterns(10, n))
    assert memory.capacity_ == pytest.approx(0.138 * n)
    assert HopfieldNetwork("storkey").fit(
        _random_patterns(2, n)
    ).capacity_ == pytest.approx(n / np.sqrt(2 * np.log(n)))
    with pytest.warns(UserWarning, match=r"30 patterns stored in 200 units, more than"):
        HopfieldNetwork().fit(_random_patterns(30, n))
    assert HopfieldNetwork(kind="dense").fit(_random_patterns(500, 20)).capacity_ == (
        np.inf
    )


@pytest.fixture(scope="module")
def binary_digits():
    """The digit sheet's 5000 images, binarized (400 units, -1 or 1)."""
    X, y = load_digit_sheet(return_X_y=True)
    return np.where(X > 127, 1, -1), y


def test_the_dense_network_recalls_real_digits_where_the_classic_one_fails(
    binary_digits,
):
    # 20 digits, 20% of their pixels flipped; measured: hebbian 0.00, storkey
    # 0.20, pseudoinverse 1.00, dense 1.00. The digits are correlated (most
    # pixels are background in all of them): Hebb's rule merges them, and only
    # the rules that do not assume random patterns keep them apart
    X, _ = binary_digits
    patterns = X[np.random.RandomState(0).choice(len(X), 20, replace=False)]
    rates = {
        name: _recall_rate(memory.fit(patterns), patterns, 0.2)
        for name, memory in {
            "hebbian": HopfieldNetwork(random_state=0),
            "storkey": HopfieldNetwork("storkey", random_state=0),
            "pseudoinverse": HopfieldNetwork("pseudoinverse", random_state=0),
            "dense": HopfieldNetwork(kind="dense"),
        }.items()
    }
    assert rates["hebbian"] < 0.1 and rates["storkey"] < 0.5
    assert rates["pseudoinverse"] == rates["dense"] == 1.0


@pytest.mark.slow
def test_recall_rate_against_stored_digits(binary_digits):
    # the user guide's table: the dense network recalls 500 stored digits with
    # 10%, 20% and 30% of their pixels flipped (measured: 1.00, 0.99, 0.90); the
    # classic rules fail long before
    X, _ = binary_digits
    patterns = X[np.random.RandomState(0).choice(len(X), 500, replace=False)]
    memory = HopfieldNetwork(kind="dense").fit(patterns)
    for share, least in ((0.1, 0.99), (0.2, 0.97), (0.3, 0.85)):
        assert _recall_rate(memory, patterns, share) >= least
    for rule in STORAGE_RULES:  # measured at 100 digits, 20%: 0.00, 0.01, 0.01
        memory = HopfieldNetwork(rule, random_state=0).fit(patterns[:100])
        assert _recall_rate(memory, patterns[:100], 0.2) < 0.05


# -- the estimator contract ----------------------------------------------------------
def test_outputs_keep_the_coding_of_the_training_data():
    patterns = _random_patterns(4, 60)
    zero_one = (patterns + 1) // 2
    memory = HopfieldNetwork(random_state=0).fit(zero_one)
    np.testing.assert_array_equal(memory.coding_, [0, 1])
    np.testing.assert_array_equal(memory.predict(zero_one), zero_one)
    np.testing.assert_array_equal(memory.patterns_, patterns)
    signed = HopfieldNetwork(random_state=0).fit(patterns)
    np.testing.assert_array_equal(signed.predict(patterns), patterns)
    assert signed.score(_flip(patterns, 0.1)) == 1.0
    binarized = HopfieldNetwork(threshold=0.5, random_state=0).fit(zero_one * 0.9)
    np.testing.assert_array_equal(binarized.predict(zero_one), patterns)


def test_errors_say_what_to_change():
    with pytest.raises(ValueError, match=r"holds the values 0, 0.5, 1\. Binarize X"):
        HopfieldNetwork().fit([[0, 0.5, 1]])
    memory = HopfieldNetwork().fit([[-1, 1, 1]])
    with pytest.raises(ValueError, match="fitted on patterns coded -1 and 1; X holds"):
        memory.predict([[0, 1, 1]])


def test_a_refused_fit_leaves_the_network_as_it_was():
    patterns = _random_patterns(3, 8)
    memory = HopfieldNetwork(random_state=0).fit(patterns)
    before = dict(memory.__dict__)
    with pytest.raises(ValueError, match="Binarize X"):
        memory.fit(np.random.RandomState(0).rand(5, 3))
    assert memory.__dict__.keys() == before.keys()
    assert memory.n_features_in_ == 8
    np.testing.assert_array_equal(memory.predict(patterns), patterns)
    # a dense network has no couplings: a refit drops the classic one's
    assert not hasattr(memory.set_params(kind="dense").fit(patterns), "coef_")


@pytest.mark.parametrize("threshold", [np.nan, np.inf, -np.inf])
def test_threshold_must_be_finite(threshold):
    with pytest.raises(ValueError, match="'threshold' parameter"):
        HopfieldNetwork(threshold=threshold).fit([[0.1, 0.9]])


def test_sklearn_contract_and_grid_search():
    patterns = _random_patterns(8, 64)
    check_estimator_api(HopfieldNetwork(random_state=0), patterns, None)
    search = GridSearchCV(
        HopfieldNetwork(kind="dense"), {"beta": [0.001, 1.0]}, cv=2
    ).fit(np.vstack([patterns, _flip(patterns, 0.1)]))
    assert search.best_params_ == {"beta": 1.0}
