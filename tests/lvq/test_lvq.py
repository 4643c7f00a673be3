"""LVQClassifier: the textbook rules step by step, real data, the sklearn contract."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.datasets import load_digits, load_iris, make_blobs
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdl import LVQClassifier
from skdl.callbacks import LinearDecayLR
from skdl.exceptions import DivergenceError
from skdl.modules import GLVQLoss, LVQModule, NearestPrototypeError, relative_distance

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def digits_split():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def one_step(variant, prototypes, labels, X, y, **params):
    """Start at ``prototypes`` and run one online pass over ``X`` in order."""
    counts = {label: labels.count(label) for label in set(labels)}
    model = LVQClassifier(
        variant,
        counts,
        prototype_init=np.array(prototypes, dtype=float),
        shuffle=False,
        learning_rate_init=0.5,
        random_state=0,
        **params,
    )
    return model.partial_fit(np.array(X, dtype=float), y, classes=sorted(counts))


# -- Kohonen's rules, one step at a time, against hand-computed numbers -------------
# prototypes are listed class by class; every number below is exact in binary
def test_lvq1_moves_the_winner_toward_a_right_sample_and_away_from_a_wrong_one():
    start = [[0, 0], [4, 0]]  # class 0, class 1
    # x = (1, 2): squared distances 5 and 13, so prototype 0 wins
    right = one_step("lvq1", start, [0, 1], [[1, 2]], [0])
    np.testing.assert_array_equal(right.prototypes_, [[0.5, 1], [4, 0]])
    wrong = one_step("lvq1", start, [0, 1], [[1, 2]], [1])
    np.testing.assert_array_equal(wrong.prototypes_, [[-0.5, -1], [4, 0]])
    # samples are taken in order: the second step starts where the first ended
    both = one_step("lvq1", start, [0, 1], [[1, 2], [1, 2]], [0, 1])
    np.testing.assert_array_equal(both.prototypes_, [[0.25, 0.5], [4, 0]])


def test_lvq1_scales_each_step_by_the_sample_weight_over_the_mean_weight():
    start = [[0, 0], [4, 0]]
    model = LVQClassifier(
        "lvq1",
        prototype_init=np.array(start, dtype=float),
        shuffle=False,
        learning_rate_init=0.25,
    )
    # weights (3, 1) are (1.5, 0.5) of the mean: steps 0.375 and 0.125
    model.partial_fit([[1, 2], [4, 4]], [0, 1], classes=[0, 1], sample_weight=[3, 1])
    np.testing.assert_array_equal(model.prototypes_, [[0.375, 0.75], [4, 0.5]])


def test_olvq1_gives_each_prototype_its_own_rate():
    start = [[0, 0], [4, 0]]
    # two right decisions for prototype 0: rates 1/2, then 1/3 = (1/2) / (1 + 1/2)
    model = one_step("olvq1", start, [0, 1], [[1, 2], [1, 2]], [0, 0])
    # w = (0.5, 1) after the first step, then w + (1/3) * ((1, 2) - w)
    np.testing.assert_allclose(model.prototypes_, [[2 / 3, 4 / 3], [4, 0]], rtol=1e-6)
    rates = model.net_.module_.prototype_learning_rates.numpy()
    # after the second step the rate is (1/3) / (1 + 1/3) = 1/4; prototype 1 idle
    np.testing.assert_allclose(rates, [1 / 4, 1 / 2], rtol=1e-6)
    # a wrong decision raises the rate, a / (1 - a), but never above the first rate
    wrong = one_step("olvq1", start, [0, 1], [[1, 2], [1, 2]], [0, 1])
    # step 2 moves away by 1/3: (0.5, 1) - (1/3) * (0.5, 1)
    np.testing.assert_allclose(wrong.prototypes_, [[1 / 3, 2 / 3], [4, 0]], rtol=1e-6)
    rates = wrong.net_.module_.prototype_learning_rates.numpy()
    np.testing.assert_allclose(rates, [1 / 2, 1 / 2], rtol=1e-6)
    # from the first rate, a wrong decision would give 0.5 / (1 - 0.5) = 1: capped
    capped = one_step("olvq1", start, [0, 1], [[1, 2]], [1])
    np.testing.assert_array_equal(capped.prototypes_, [[-0.5, -1], [4, 0]])
    rates = capped.net_.module_.prototype_learning_rates.numpy()
    np.testing.assert_array_equal(rates, [0.5, 0.5])


def test_lvq21_updates_two_winners_only_inside_the_window():
    start = [[0, 0], [10, 10], [2, 0]]  # class 0, class 0, class 1
    # x = (0.75, 0) of class 1: Euclidean distances 0.75 and 1.25 to the two
    # nearest, ratio 0.6 > (1 - 0.3) / (1 + 0.3) = 0.538: inside the window (the
    # ratio of squared distances, 0.36, would not be)
    model = one_step("lvq2.1", start, [0, 0, 1], [[0.75, 0]], [1], window=0.3)
    np.testing.assert_array_equal(
        model.prototypes_, [[-0.375, 0], [10, 10], [1.375, 0]]
    )
    # x = (0.25, 0): ratio 0.25 / 1.75 is outside the window, nothing moves
    outside = one_step("lvq2.1", start, [0, 0, 1], [[0.25, 0]], [1], window=0.3)
    np.testing.assert_array_equal(outside.prototypes_, start)
    # a wider window takes it: 0.143 > (1 - 0.8) / (1 + 0.8) = 0.111
    wide = one_step("lvq2.1", start, [0, 0, 1], [[0.25, 0]], [1], window=0.8)
    np.testing.assert_array_equal(wide.prototypes_, [[-0.125, 0], [10, 10], [1.125, 0]])
    # both winners of the sample's class: LVQ2.1 leaves them
    start = [[0, 0], [1, 0], [10, 10]]
    same = one_step("lvq2.1", start, [0, 0, 1], [[0.5, 0.5]], [0])
    np.testing.assert_array_equal(same.prototypes_, start)


def test_lvq3_also_pulls_two_right_winners_by_epsilon():
    start = [[0, 0], [1, 0], [10, 10]]  # class 0, class 0, class 1
    model = one_step("lvq3", start, [0, 0, 1], [[0.5, 0.5]], [0], lvq3_epsilon=0.5)
    # both move toward x by epsilon * alpha = 0.25
    np.testing.assert_array_equal(
        model.prototypes_, [[0.125, 0.125], [0.875, 0.125], [10, 10]]
    )
    # one right and one wrong winner: the LVQ2.1 step
    start = [[0, 0], [10, 10], [2, 0]]
    mixed = one_step("lvq3", start, [0, 0, 1], [[0.75, 0]], [1])
    np.testing.assert_array_equal(
        mixed.prototypes_, [[-0.375, 0], [10, 10], [1.375, 0]]
    )


@pytest.mark.parametrize("activation", ["identity", "sigmoid"])
def test_glvq_step_is_the_gradient_of_sato_and_yamada(activation):
    # one SGD step on one sample; with one sample the prototypes are stored in
    # feature units (zero spread), so the step is the textbook one:
    # w+ += lr * f'(mu) * 4 d- / (d+ + d-)^2 * (x - w+)
    # w- -= lr * f'(mu) * 4 d+ / (d+ + d-)^2 * (x - w-)
    w_plus, w_minus, x = np.array([0.0, 0.0]), np.array([3.0, 0.0]), np.array([1, 2])
    d_plus, d_minus = np.sum((x - w_plus) ** 2), np.sum((x - w_minus) ** 2)
    mu = (d_plus - d_minus) / (d_plus + d_minus)
    beta, lr = 3.0, 0.05
    if activation == "identity":
        slope = 1.0
    else:
        sigmoid = 1 / (1 + np.exp(-beta * mu))
        slope = beta * sigmoid * (1 - sigmoid)
    total = (d_plus + d_minus) ** 2
    expected_plus = w_plus + lr * slope * 4 * d_minus / total * (x - w_plus)
    expected_minus = w_minus - lr * slope * 4 * d_plus / total * (x - w_minus)
    model = LVQClassifier(
        prototype_init=np.array([w_plus, w_minus]),
        activation=activation,
        beta=beta,
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
    ).partial_fit([x], [0], classes=[0, 1])
    # float32: the step (about 0.01) is right to 1e-5 of itself
    np.testing.assert_allclose(
        model.prototypes_, [expected_plus, expected_minus], rtol=1e-6, atol=2e-7
    )


# -- modules -------------------------------------------------------------------------
def test_module_distances_follow_the_metric():
    X = torch.tensor([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
    module = LVQModule(3, [0, 1, 1], metric="matrix", n_components=2)
    with torch.no_grad():
        module.set_prototypes(torch.tensor([[0.0, 0, 0], [1, 1, 1], [2, 0, 1]]))
        module.omega.copy_(torch.tensor([[1.0, 2, 0], [0, 1, 1]]))
    omega = module.normalized_omega()
    assert torch.allclose(torch.trace(omega.T @ omega), torch.tensor(1.0))
    expected = ((X[:, None, :] - module.prototypes()[None]) @ omega.T).pow(2).sum(-1)
    assert module(X).shape == (2, 3)
    torch.testing.assert_close(module(X), expected)
    relevance = LVQModule(3, [0, 1], metric="relevance")
    with torch.no_grad():
        relevance.relevance_weights.copy_(torch.tensor([1.0, 0.0, 1.0]))
    # half the weight on features 0 and 2, none on feature 1
    torch.testing.assert_close(
        relevance(torch.tensor([[2.0, 5.0, 0.0]]))[:, 0], torch.tensor([2.0])
    )


def test_relative_distance_and_glvq_loss():
    distances = torch.tensor([[1.0, 3.0, 2.0], [0.0, 0.0, 4.0]])
    labels = torch.tensor([0, 1, 1])
    mu = relative_distance(distances, torch.tensor([1, 0]), labels)
    # sample 0: d+ = 2 (nearest of class 1), d- = 1; sample 1 sits on both
    torch.testing.assert_close(mu, torch.tensor([1 / 3, 0.0]))
    loss = GLVQLoss(labels, activation="sigmoid", beta=2.0, reduction="none")
    torch.testing.assert_close(
        loss(distances, torch.tensor([1, 0])), torch.sigmoid(2 * mu)
    )


def test_a_label_without_a_prototype_is_an_error_not_a_cost():
    # it was a cost as any other: mu against prototype 0, whatever its class
    distances, labels = torch.tensor([[1.0, 3.0], [2.0, 1.0]]), torch.tensor([0, 1])
    y = torch.tensor([0, 2])
    message = r"y holds labels \[2\] that no prototype has; the prototypes' labels"
    with pytest.raises(ValueError, match=message):
        relative_distance(distances, y, labels)
    with pytest.raises(ValueError, match=message):
        GLVQLoss(labels)(distances, y)
    # off the CPU the check would wait for the device: the sample's mu is NaN
    on_meta = GLVQLoss(labels, reduction="none").to("meta")
    assert on_meta(distances.to("meta"), y.to("meta")).shape == (2,)


def test_glvq_loss_needs_two_classes_and_a_distance_per_prototype():
    with pytest.raises(ValueError, match=r"at least 2 classes.*1 class: \[0\]"):
        GLVQLoss([0, 0])
    loss, y = GLVQLoss([0, 1, 1]), torch.tensor([0, 1])
    with pytest.raises(ValueError, match="has 3 prototypes, but distances has 2 col"):
        loss(torch.rand(2, 2), y)
    # an (n, 1) column of labels paired every sample with every label
    with pytest.raises(ValueError, match=r"y of shape \(n_samples,\) .*\(2, 1\)"):
        loss(torch.rand(2, 3), y[:, None])
    with pytest.raises(ValueError, match=r"y of shape \(n_samples,\) .*\(2, 1\)"):
        NearestPrototypeError([0, 1, 1])(torch.rand(2, 3), y[:, None])
    with pytest.raises(
        ValueError, match=r"integers in y \(class indices\); got torch\.f"
    ):
        loss(torch.rand(2, 3), y.float())


def test_linear_decay_schedule():
    schedule = LinearDecayLR(0.5, 4)
    assert [schedule.rate(t) for t in range(6)] == [
        0.5,
        0.375,
        0.25,
        0.125,
        0.125,
        0.125,
    ]


@pytest.mark.parametrize("variant", ["glvq", "lvq1"])
def test_a_warm_start_continues_the_linear_schedule(variant):
    # the new fit's fresh optimizer began at learning_rate_init again
    X, y = load_iris(return_X_y=True)
    params = {"max_iter": 4, "tol": 0, "n_iter_no_change": 100, "random_state": 0}
    model = LVQClassifier(variant, warm_start=True, **params).fit(X, y).fit(X, y)
    expected = [LinearDecayLR(0.01, 4).rate(t) for t in range(8)]
    np.testing.assert_allclose(model.history_[:, "lr"], expected)


# -- real data -----------------------------------------------------------------------
def test_glvq_one_prototype_per_class_on_digits(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    model = LVQClassifier(random_state=0).fit(X_train, y_train)
    assert model.prototypes_.shape == (10, 64)
    assert model.score(X_test, y_test) >= 0.91


def test_lvq1_on_digits(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    model = LVQClassifier("lvq1", 3, max_iter=20, random_state=0)
    model.fit(X_train, y_train)
    assert model.score(X_test, y_test) >= 0.90
    # the training loss is the online error rate, which falls
    assert model.loss_curve_[-1] < model.loss_curve_[0] < 0.5


@pytest.mark.slow
def test_gmlvq_three_prototypes_per_class_on_letters(letter_recognition):
    data = pd.read_csv(letter_recognition, header=None)
    X, y = data.iloc[:, 1:].to_numpy(float), data[0].to_numpy()
    scaler = StandardScaler().fit(X[:16000])
    X_train, X_test = scaler.transform(X[:16000]), scaler.transform(X[16000:])
    model = LVQClassifier(
        "gmlvq", 3, prototype_init="kmeans", max_iter=20, random_state=0
    ).fit(X_train, y[:16000])
    assert model.score(X_test, y[16000:]) >= 0.85
    assert model.omega_.shape == (16, 16)
    assert set(model.prototype_labels_) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def test_every_variant_learns_iris(iris):
    X, y = iris
    for variant in ["glvq", "grlvq", "gmlvq", "lvq1", "olvq1", "lvq2.1", "lvq3"]:
        model = LVQClassifier(variant, 2, max_iter=40, random_state=0).fit(X, y)
        assert model.score(X, y) > 0.85, variant


# -- outputs -------------------------------------------------------------------------
def test_predictions_probabilities_margins_and_distances_agree(iris):
    X, y = iris
    model = LVQClassifier(prototypes_per_class={0: 1, 1: 2, 2: 3}, random_state=0)
    model.fit(X, y)
    prototypes = model.prototypes_
    np.testing.assert_array_equal(model.prototype_labels_, [0, 1, 1, 2, 2, 2])
    distances = np.sqrt(((X[:, None] - prototypes[None]) ** 2).sum(-1))
    np.testing.assert_allclose(model.transform(X), distances, rtol=1e-4, atol=1e-4)
    nearest = model.prototype_labels_[distances.argmin(1)]
    np.testing.assert_array_equal(model.predict(X), nearest)
    proba = model.predict_proba(X)
    margins = model.decision_function(X)
    np.testing.assert_array_equal(proba.argmax(1), margins.argmax(1))
    np.testing.assert_array_equal(model.classes_[proba.argmax(1)], nearest)
    assert ((margins > 0).sum(1) == 1).all() and (np.abs(margins) <= 1).all()
    np.testing.assert_allclose(proba.sum(1), 1)
    logits = model.beta / 2 * margins
    expected = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(proba, expected, rtol=1e-6)


def test_binary_margin_and_probability_with_string_labels(iris):
    X, y = iris
    labels = np.where(y == 0, "setosa", "other")
    model = LVQClassifier(beta=4.0, random_state=0).fit(X, labels)
    assert list(model.classes_) == ["other", "setosa"]
    margin = model.decision_function(X)
    assert margin.shape == (150,)
    np.testing.assert_array_equal(model.predict(X), model.classes_[(margin > 0) * 1])
    # two classes: p = sigmoid(beta * margin), one minus the GLVQ sigmoid cost
    np.testing.assert_allclose(
        model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-4 * margin)), rtol=1e-6
    )
    assert model.score(X, labels) == 1.0


def test_metric_variants_expose_relevances_and_a_projection(iris):
    X, y = iris
    grlvq = LVQClassifier("grlvq", max_iter=30, random_state=0).fit(X, y)
    assert grlvq.relevances_.shape == (4,)
    np.testing.assert_allclose(grlvq.relevances_.sum(), 1, rtol=1e-6)
    assert not hasattr(grlvq, "omega_")
    gmlvq = LVQClassifier(
        "gmlvq", relevance_n_components=2, max_iter=30, random_state=0
    ).fit(X, y)
    omega = gmlvq.omega_
    assert omega.shape == (2, 4)
    np.testing.assert_allclose(np.trace(omega.T @ omega), 1, rtol=1e-6)
    np.testing.assert_allclose(gmlvq.relevances_, np.diag(omega.T @ omega), rtol=1e-6)
    np.testing.assert_allclose(gmlvq.transform(X), X @ omega.T, rtol=1e-5, atol=1e-6)
    assert list(gmlvq.get_feature_names_out()) == ["lvqclassifier0", "lvqclassifier1"]
    # a 2-D projection separates iris nearly as well
    assert gmlvq.score(X, y) > 0.9
    glvq = LVQClassifier(max_iter=5).fit(X, y)
    with pytest.raises(AttributeError, match="relevances_ exists for variant"):
        glvq.relevances_  # noqa: B018
    with pytest.raises(ValueError, match="relevance_n_components=5 is larger"):
        LVQClassifier("gmlvq", relevance_n_components=5).fit(X, y)


@pytest.mark.parametrize("init", ["class_mean", "kmeans", "random"])
def test_prototype_initialisations(iris, init):
    X, y = iris
    model = LVQClassifier(
        "lvq1", 2, prototype_init=init, learning_rate_init=1e-9, max_iter=1
    ).fit(X, y)
    prototypes = model.prototypes_
    for label in range(3):
        start = prototypes[model.prototype_labels_ == label]
        X_class = X[y == label]
        if init == "class_mean":  # the mean, spread by 1% of the class's spread
            spread = np.abs(start - X_class.mean(0)) / X_class.std(0)
            assert (spread < 0.05).all() and not np.array_equal(start[0], start[1])
        elif init == "random":  # samples of the class
            assert all((np.abs(X_class - p).sum(1) < 1e-5).any() for p in start)
        else:  # each centre is the mean of the class samples nearest to it
            nearest = ((X_class[:, None] - start[None]) ** 2).sum(-1).argmin(1)
            for k in range(2):
                np.testing.assert_allclose(
                    start[k], X_class[nearest == k].mean(0), atol=1e-4
                )


def test_prototype_settings_errors(iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"missing: \[2\], unknown: \[7\]"):
        LVQClassifier(prototypes_per_class={0: 1, 1: 1, 7: 2}).fit(X, y)
    with pytest.raises(ValueError, match=r"must have shape \(3, 4\)"):
        LVQClassifier(prototype_init=np.zeros((2, 4))).fit(X, y)
    with pytest.raises(ValueError, match="at least 60 samples of each class"):
        LVQClassifier(prototypes_per_class=60, prototype_init="kmeans").fit(X, y)
    with pytest.raises(ValueError, match="solver='lbfgs' trains the generalized"):
        LVQClassifier("lvq1", solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="learning_rate_init must be at most 1"):
        LVQClassifier("olvq1", learning_rate_init=1.5).fit(X, y)
    with pytest.raises(TypeError, match="dense data is required"):
        LVQClassifier().fit(sp.csr_matrix(X), y)


def test_a_failed_fit_keeps_the_previous_model(iris):
    X, y = iris
    model = LVQClassifier(max_iter=5, random_state=0).fit(X, y)
    before = model.prototypes_
    with pytest.raises(ValueError, match="shape"):
        model.set_params(prototype_init=np.zeros((1, 4))).fit(X, y)
    np.testing.assert_array_equal(model.prototypes_, before)


def test_diverging_prototypes_are_a_clear_error_and_keep_the_model():
    model = LVQClassifier("lvq1", prototype_init=np.array([[0.0, 0], [1, 1]]))
    model.set_params(learning_rate_init=1.0).fit([[0, 0], [1, 1]], [0, 1])
    before = model.prototypes_
    # a step of 1 away from a sample at 3e38 leaves float32's range
    with pytest.raises(
        DivergenceError,
        match=r"LVQClassifier training diverged in epoch \d+: the weights became NaN "
        r"or infinite",
    ):
        model.partial_fit([[3e38, 0], [3e38, 0]], [1, 1])
    np.testing.assert_array_equal(model.prototypes_, before)


# -- online learning, warm start, weights --------------------------------------------
def test_partial_fit_learns_online_one_epoch_per_call(iris):
    X, y = iris
    order = np.random.RandomState(0).permutation(len(X))
    model = LVQClassifier("lvq1", 2, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        model.partial_fit(X[:10], y[:10])
    for chunk in np.array_split(order, 10):
        model.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
    assert model.n_iter_ == 1 and len(model.history_) == 10
    assert model.score(X, y) > 0.85
    with pytest.raises(ValueError, match="not seen before"):
        model.partial_fit(X[:2], [0, 5])
    # the first call starts the prototypes at its own class means
    fresh = LVQClassifier("lvq1", random_state=0)
    with pytest.raises(ValueError, match="class 2 has none"):
        fresh.partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    assert not hasattr(LVQClassifier(solver="lbfgs"), "partial_fit")


def test_warm_start_continues_and_rejects_another_layout(iris):
    X, y = iris
    model = LVQClassifier(max_iter=5, warm_start=True, random_state=0).fit(X, y)
    first = model.prototypes_
    model.fit(X, y)
    assert model.n_iter_ == 5 and len(model.history_) == 10
    assert not np.array_equal(model.prototypes_, first)
    with pytest.raises(ValueError, match="warm_start=True continues"):
        model.set_params(prototypes_per_class=2).fit(X, y)


def test_weights_equal_repeated_rows_for_the_generalized_cost(iris):
    X, y = iris
    weight = np.random.RandomState(0).randint(0, 3, len(X))
    repeated = np.repeat(np.arange(len(X)), weight)
    params = {"solver": "lbfgs", "max_iter": 1, "random_state": 0}
    weighted = LVQClassifier(**params).fit(X, y, sample_weight=weight)
    plain = LVQClassifier(**params).fit(X[repeated], y[repeated])
    np.testing.assert_allclose(weighted.loss_curve_, plain.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(weighted.prototypes_, plain.prototypes_, atol=1e-4)


def test_class_weight_moves_the_border(iris):
    X, y = iris
    y = (y == 2).astype(int)  # 50 positives, 100 negatives, overlapping
    params = {"solver": "lbfgs", "random_state": 0}
    plain = LVQClassifier(**params).fit(X, y)
    weighted = LVQClassifier(class_weight={0: 1, 1: 10}, **params).fit(X, y)
    assert weighted.predict(X).sum() > plain.predict(X).sum()


# -- seeds, threads, sklearn tools ---------------------------------------------------
def test_same_seed_same_model_different_seed_different_model(iris):
    X, y = iris
    params = {"prototypes_per_class": 2, "prototype_init": "random", "max_iter": 10}
    first = LVQClassifier(random_state=3, **params).fit(X, y)
    second = LVQClassifier(random_state=3, **params).fit(X, y)
    third = LVQClassifier(random_state=4, **params).fit(X, y)
    np.testing.assert_array_equal(first.prototypes_, second.prototypes_)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert not np.array_equal(first.prototypes_, third.prototypes_)
    online = [LVQClassifier("lvq3", 2, random_state=5).fit(X, y) for _ in range(2)]
    np.testing.assert_array_equal(online[0].prototypes_, online[1].prototypes_)


def test_small_steps_train_on_one_thread_and_leave_the_setting_alone(iris):
    from skorch.callbacks import Callback

    class Threads(Callback):
        def on_epoch_end(self, net, **kwargs):
            net.history.record("threads", torch.get_num_threads())

    X, y = iris
    before = torch.get_num_threads()
    model = LVQClassifier(max_iter=2, callbacks=[Threads()]).fit(X, y)
    assert model.history_[:, "threads"] == [1, 1]
    assert torch.get_num_threads() == before
    # an explicit n_threads is used as given
    model = LVQClassifier(max_iter=2, n_threads=2, callbacks=[Threads()]).fit(X, y)
    assert model.history_[:, "threads"] == [2, 2]
    assert torch.get_num_threads() == before


def test_early_stopping_on_an_online_rule_scores_the_held_out_part(iris):
    X, y = iris
    model = LVQClassifier("lvq1", early_stopping=True, random_state=0).fit(X, y)
    assert model.validation_scores_ and model.best_validation_score_ > 0.8
    assert 0 <= model.history_[-1, "valid_loss"] <= 1


def test_pipeline_grid_search_over_prototypes_and_pickle(iris):
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LVQClassifier(max_iter=20, random_state=0))
    search = GridSearchCV(
        pipe, {"lvqclassifier__prototypes_per_class": [1, 3]}, cv=3
    ).fit(X, y)
    assert search.best_score_ > 0.85
    model = search.best_estimator_
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(X), model.predict_proba(X))


def test_unscaled_features_train_like_scaled_ones():
    # prototypes are stored in units of each feature's spread, so the optimizer's
    # steps do not depend on the scale of the features
    X, y = make_blobs(400, centers=3, cluster_std=3.0, random_state=0)
    scaled = LVQClassifier(max_iter=30, random_state=0).fit(X, y)
    stretched = LVQClassifier(max_iter=30, random_state=0).fit(X * 1000, y)
    np.testing.assert_allclose(
        stretched.prototypes_ / 1000, scaled.prototypes_, rtol=1e-3, atol=1e-3
    )
