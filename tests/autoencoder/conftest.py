import pytest

from skdl import AutoencoderTransformer


@pytest.fixture
def shallow_fits(monkeypatch):
    """The shallow autoencoders that greedy pretraining fits, in order."""
    fitted = []
    fit = AutoencoderTransformer.fit

    def spy(self, X, y=None, **kwargs):
        fit(self, X, y, **kwargs)
        if self.pretraining is None:
            fitted.append(self)
        return self

    monkeypatch.setattr(AutoencoderTransformer, "fit", spy)
    return fitted
