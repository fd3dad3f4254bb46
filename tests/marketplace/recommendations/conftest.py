"""Fixtures of the recommendation tests: a fixed small world, and the service either with an
artifact trained by ``flask matching train`` in a temporary MODEL_DIR (``trained``) or with no
artifact at all (``fallback``: content similarity fitted from the database)."""

from __future__ import annotations

import pytest

from marketplace.recommendations import service
from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401 — fixture
from tests.marketplace.recommendations.helpers import make_world


@pytest.fixture(autouse=True)
def _fresh_recommender(app, tmp_path):
    """Every test starts with no model loaded and its own, empty MODEL_DIR."""
    saved = app.config["MODEL_DIR"]
    app.config["MODEL_DIR"] = str(tmp_path / "models")
    service.reset()
    yield
    service.reset()
    app.config["MODEL_DIR"] = saved


@pytest.fixture
def world(db, fast_passwords):  # noqa: F811
    return make_world()


def train(app) -> str:
    """Run ``flask matching train`` (without the evaluation) and return its output."""
    result = app.test_cli_runner().invoke(args=["matching", "train", "--no-evaluate"])
    assert result.exit_code == 0, result.output
    service.reset()
    return result.output


@pytest.fixture(params=["trained", "fallback"])
def mode(request, app, world):
    """The service with a freshly trained artifact, or with none."""
    if request.param == "trained":
        train(app)
    return request.param
