"""``python -m skdl``: the README's first command trains every model and reports."""

import re

import pytest

from skdl._demo import main


@pytest.mark.slow
def test_demo_trains_every_model_and_prints_the_table(capsys):
    main([])
    out = capsys.readouterr().out
    rows = re.findall(
        r"^(skdl .+?|sklearn .+?)\s+(0\.\d{4})\s+[\d.]+\s+[\d.]+  (\S+)", out, re.M
    )
    assert len(rows) == 6, out
    accuracy = {name.strip(): float(value) for name, value, _ in rows}
    assert all(value > 0.9 for value in accuracy.values()), accuracy
    assert (
        accuracy["skdl MLPClassifier"]
        >= accuracy["sklearn MLPClassifier (reference)"] - 0.01
    )
    assert {device for *_, device in rows} == {"cpu"}  # the default device


@pytest.mark.parametrize("device", ["gpu", "cuda:99999999999999999999"])
def test_unknown_device_is_a_usage_error(device, capsys):
    # argparse's usage line and exit status 2, not a traceback
    with pytest.raises(SystemExit) as info:
        main(["--device", device])
    assert info.value.code == 2
    assert "error: device must be 'cpu', 'cuda'" in capsys.readouterr().err
