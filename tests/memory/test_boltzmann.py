import itertools
import warnings

import numpy as np
import pytest
import torch
from api_checks import check_estimator_api
from scipy.special import logsumexp

from skdl import BoltzmannMachine, RBMTransformer
from skdl.modules import BoltzmannModule

STATES6 = np.array(list(itertools.product([0, 1], repeat=6)), dtype=float)


def _rbm_distribution(weight, hidden_bias, visible_bias):
    """Exact P(v) over the 64 states of a 6-visible RBM, by its free energy."""
    free = -(STATES6 @ visible_bias) - np.logaddexp(
        0, STATES6 @ weight.T + hidden_bias
    ).sum(axis=1)
    return np.exp(-free - logsumexp(-free))


@pytest.fixture(scope="module")
def rbm_data():
    """2000 exact samples of a random RBM with 6 visible and 3 hidden units."""
    rng = np.random.RandomState(0)
    weight = rng.normal(0, 2.0, (3, 6))
    p = _rbm_distribution(weight, rng.normal(0, 1, 3), rng.normal(0, 1, 6))
    X = STATES6[rng.choice(64, 2000, p=p)]
    return X, p


def _bars_and_stripes(side=3):
    rows = []
    for bits in itertools.product([0, 1], repeat=side):
        image = np.repeat(np.array(bits)[:, None], side, axis=1)
        rows += [image.ravel(), image.T.ravel()]
    return np.unique(np.array(rows, dtype=float), axis=0)


def _index(X):
    return (X @ 2 ** np.arange(X.shape[1] - 1, -1, -1)).astype(int)


def _machine(n_visible, n_hidden, seed=0, scale=1.0):
    """A BoltzmannModule in float64 with random couplings and biases."""
    torch.manual_seed(seed)
    machine = BoltzmannModule(n_visible, n_hidden, n_chains=1).double()
    with torch.no_grad():
        machine.weight.normal_(0, scale)
        machine.bias.normal_(0, scale)
    return machine


# -- the module against enumeration ----------------------------------------------------
def test_energy_and_exact_likelihood_by_hand():
    machine = _machine(3, 2)
    J = machine.couplings().detach().numpy()
    b = machine.bias.detach().numpy()
    states = np.array(list(itertools.product([0, 1], repeat=5)), dtype=float)
    energy = np.array([-0.5 * s @ J @ s - b @ s for s in states])
    np.testing.assert_allclose(
        machine.energy(torch.from_numpy(states)).detach().numpy(), energy
    )
    assert np.allclose(np.diag(J), 0) and np.allclose(J, J.T)
    visible = states[::4, :3]  # the 8 visible states, hidden units 0
    p = np.array(
        [
            logsumexp(-energy[(states[:, :3] == v).all(axis=1)]) - logsumexp(-energy)
            for v in visible
        ]
    )
    ll = machine.log_likelihood(torch.from_numpy(visible)).numpy()
    np.testing.assert_allclose(ll, p)
    assert np.exp(ll).sum() == pytest.approx(1.0)


def test_mean_field_is_exact_without_hidden_couplings_and_a_fixed_point_with():
    machine = _machine(4, 3)
    v = torch.from_numpy(STATES6[:16, :4])
    mu = machine.mean_field(v)
    J, b = machine.couplings().detach(), machine.bias.detach()
    drive = v @ J[:4, 4:] + b[4:]
    # damped updates converge to a fixed point of mu = sigmoid(v J_vh + mu J_hh + b)
    machine.mean_field_iter = 60
    mu = machine.mean_field(v)
    torch.testing.assert_close(
        mu, torch.sigmoid(drive + mu @ J[4:, 4:]), atol=1e-6, rtol=0
    )
    with torch.no_grad():  # no hidden couplings: the exact conditional, and F exact
        machine.weight[4:, 4:] = 0
    torch.testing.assert_close(machine.mean_field(v), torch.sigmoid(drive))
    hidden = torch.from_numpy(STATES6[:8, 3:])
    exact = torch.stack(
        [
            -torch.logsumexp(
                -machine.energy(torch.cat([row.expand(8, -1), hidden], dim=1)), 0
            )
            for row in v
        ]
    )
    torch.testing.assert_close(machine.free_energy(v), exact)


def test_the_surrogate_gradient_is_data_minus_model_statistics():
    machine = _machine(3, 2, scale=0.5)
    machine.train()
    machine.k = 2
    v = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], dtype=torch.float64)
    mu = machine.mean_field(v)
    torch.manual_seed(1)
    loss = machine(v).mean()
    chains = machine.chains.clone()  # after the sweeps of this step
    loss.backward()
    data = torch.cat([v, mu], dim=1)
    expected = -(data.T @ data / len(data)) + chains.T @ chains / len(chains)
    upper = torch.ones(5, 5, dtype=torch.bool).triu(1)
    torch.testing.assert_close(machine.weight.grad[upper], expected[upper])
    torch.testing.assert_close(
        machine.bias.grad, -data.mean(dim=0) + chains.mean(dim=0)
    )


def test_gibbs_sampling_draws_from_the_model():
    # 4000 chains of a 3 + 2 unit machine, 30 sequential sweeps from random
    # states: the visible states follow the exact P(v) to within sampling noise
    machine = _machine(3, 2, scale=1.5)
    generator = torch.Generator().manual_seed(0)
    states = torch.randint(0, 2, (4000, 5), generator=generator).double()

    def uniform(shape):
        return torch.rand(shape, generator=generator, dtype=torch.float64)

    machine.gibbs(states, range(5), 30, uniform, None)
    counts = np.bincount(_index(states[:, :3].numpy()), minlength=8) / 4000
    exact = np.exp(machine.log_likelihood(torch.from_numpy(STATES6[::8, :3])).numpy())
    assert 0.5 * np.abs(counts - exact).sum() < 0.03  # total variation


# -- learning --------------------------------------------------------------------------
def test_exact_log_likelihood_rises_and_reaches_the_rbms(rbm_data):
    # data from an RBM with 6 visible and 3 hidden units, which a Boltzmann
    # machine of the same size can represent (measured: -2.216 after 1 epoch,
    # -1.578 after 10, -1.5573 after 120; RBMTransformer after 60 epochs
    # -1.5571; the source RBM -1.556; an untrained machine 6 log(1/2) = -4.16)
    X, p = rbm_data
    machine = BoltzmannMachine(3, max_iter=1, random_state=0)
    curve = []
    for epochs in (1, 9, 110):  # warm starts continue the couplings and chains
        machine.set_params(max_iter=epochs).fit(X)
        machine.set_params(warm_start=True)
        curve.append(machine.log_likelihood(X).mean())
    # n_iter_ counts the last call's epochs; the history keeps every one
    assert machine.n_iter_ == 110 and len(machine.history_) == 120
    assert curve[0] < curve[1] < curve[2]
    assert curve[2] > np.log(p[_index(X)]).mean() - 0.01
    rbm = RBMTransformer(
        3, learning_rate=0.02, n_iter=60, sample_visible=True, random_state=0
    ).fit(X)
    q = _rbm_distribution(
        rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_
    )
    assert curve[2] >= np.log(q[_index(X)]).mean() - 0.005


def test_samples_follow_bars_and_stripes():
    # 3x3 bars and stripes: 14 patterns of 9 pixels, equally likely (measured:
    # 63% of 1000 samples are patterns, each pattern 24 to 88 times; by chance
    # 14 / 512 = 2.7% would be)
    patterns = _bars_and_stripes()
    machine = BoltzmannMachine(4, max_iter=300, random_state=0).fit(
        np.tile(patterns, (30, 1))
    )
    samples = machine.sample(1000, n_sweeps=100)
    hits = (samples[:, None, :] == patterns[None]).all(axis=2)
    assert hits.any(axis=1).mean() > 0.5
    counts = hits.sum(axis=0)
    assert counts.min() > 0.3 * counts.mean()  # no pattern left out
    # and they follow the model's own exact distribution: the probability of
    # each pattern, and of all other states together (measured: a total
    # variation of 0.057, where 1000 exact draws would give about 0.04)
    exact = np.exp(machine.log_likelihood(patterns))
    exact = np.append(exact, 1 - exact.sum())
    frequency = np.append(counts, len(samples) - counts.sum()) / len(samples)
    assert 0.5 * np.abs(frequency - exact).sum() < 0.08


def test_sample_with_a_random_state_repeats_and_leaves_the_gibbs_stream():
    X = np.tile(_bars_and_stripes(), (3, 1))
    machine = BoltzmannMachine(3, max_iter=2, random_state=0).fit(X)
    first = machine.sample(20, n_sweeps=5, random_state=1)
    continued = machine.sample(20, n_sweeps=5)
    np.testing.assert_array_equal(machine.sample(20, n_sweeps=5, random_state=1), first)
    assert not np.array_equal(machine.sample(20, n_sweeps=5, random_state=2), first)
    # seeded draws do not advance the stream that gibbs and sample continue
    refit = BoltzmannMachine(3, max_iter=2, random_state=0).fit(X)
    np.testing.assert_array_equal(refit.sample(20, n_sweeps=5), continued)


@pytest.mark.slow
def test_visible_couplings_model_bars_and_stripes_better_than_an_rbm():
    # the same 4 hidden units (measured: -3.13 against -5.39 for the RBM; the
    # best possible, log(1/14), is -2.64)
    patterns = _bars_and_stripes()
    X = np.tile(patterns, (30, 1))
    machine = BoltzmannMachine(4, max_iter=300, random_state=0).fit(X)
    rbm = RBMTransformer(
        4, learning_rate=0.05, n_iter=1000, sample_visible=True, random_state=0
    ).fit(X)
    W, c, b = rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_
    states = np.array(list(itertools.product([0, 1], repeat=9)), dtype=float)
    free = -(states @ b) - np.logaddexp(0, states @ W.T + c).sum(axis=1)
    rbm_ll = (-free - logsumexp(-free))[_index(patterns)].mean()
    assert machine.log_likelihood(patterns).mean() > rbm_ll + 0.5


# -- the estimator ---------------------------------------------------------------------
def test_trains_every_epoch_without_a_convergence_warning(rbm_data):
    X, _ = rbm_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        machine = BoltzmannMachine(3, max_iter=4, random_state=0).fit(X)
    assert machine.n_iter_ == 4 == len(machine.history_) == len(machine.loss_curve_)
    assert machine.transform(X[:5]).shape == (5, 3)
    assert machine.score_samples(X[:5]).shape == (5,)
    assert (machine.score_samples(X[:5]) <= 0).all()
    assert set(np.unique(machine.gibbs(X[:50]))) <= {0.0, 1.0}
    check_estimator_api(BoltzmannMachine(2, max_iter=2, random_state=0), X[:100], None)


def test_gaussian_visible_units_have_no_couplings_among_themselves():
    X = np.random.RandomState(0).normal(size=(200, 4))
    machine = BoltzmannMachine(
        3,
        visible_units="gaussian",
        learning_rate_init=0.001,
        max_iter=3,
        random_state=0,
    ).fit(X)
    couplings = machine.net_.module_.couplings().detach()
    assert torch.equal(couplings[:4, :4], torch.zeros(4, 4))
    assert np.isfinite(machine.score_samples(X)).all()
    assert np.isfinite(machine.sample(5, n_sweeps=5)).all()


def test_errors_say_what_to_change(rbm_data):
    X, _ = rbm_data
    with pytest.raises(ValueError, match=r"features in \[0, 1\].*MinMaxScaler"):
        BoltzmannMachine(2).fit(X * 3)
    machine = BoltzmannMachine(2, max_iter=1, random_state=0).fit(X)
    machine.set_params(visible_units="gaussian")  # the fitted machine's stay
    for call in (machine.partial_fit, machine.set_params(warm_start=True).fit):
        with pytest.raises(ValueError, match=r"features in \[0, 1\]"):
            call(X * 3)
    big = BoltzmannMachine(16, max_iter=1, random_state=0).fit(np.tile(X, (1, 2)))
    with pytest.raises(ValueError, match="Use score_samples"):
        big.log_likelihood(np.tile(X, (1, 2)))
    with pytest.raises(ValueError, match=r"binary rows \(0 and 1\).*holds 0.5"):
        machine.log_likelihood(np.where(X > 0, 0.5, 0.0))
    with pytest.raises(ValueError, match=r"binary rows \(0 and 1\).*holds 7"):
        machine.log_likelihood(np.full_like(X, 7.0))


@pytest.mark.parametrize(
    "args, match",
    [
        ({"n_samples": 0}, "n_samples must be an int >= 1; got 0"),
        ({"n_samples": 2.5}, "n_samples must be an int >= 1; got 2.5"),
        ({"n_samples": True}, "n_samples must be an int >= 1; got True"),
        ({"n_sweeps": -5}, "n_sweeps must be an int >= 1; got -5"),
        ({"n_sweeps": 2.5}, "n_sweeps must be an int >= 1; got 2.5"),
    ],
)
def test_sample_counts_are_checked(rbm_data, args, match):
    machine = BoltzmannMachine(2, max_iter=1, random_state=0).fit(rbm_data[0])
    with pytest.raises(ValueError, match=match):
        machine.sample(**args)
    assert machine.sample(np.int64(2), n_sweeps=np.int64(3)).shape == (2, 6)
