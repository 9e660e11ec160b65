import pytest

from tests.stats.world import add_distributions, analyst, build_world


@pytest.fixture
def world(db):
    built = build_world()
    add_distributions(built, 80)
    return built


@pytest.fixture
def analyst_futian(world):
    return analyst("analyst_ft", world.branches["futian"])


@pytest.fixture
def analyst_shenzhen(world):
    return analyst("analyst_sz", world.branches["shenzhen"])
