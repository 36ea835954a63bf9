"""Setting keeps where it was written as fields, not as a Location object (issue 18), and
gives back the same Location it was built from."""

from __future__ import annotations

import pytest

from triplock.inventory import Inventory, Setting
from triplock.model import Location


@pytest.mark.parametrize(
    "where",
    [
        Location("conf/spark-defaults.conf", 7),
        Location("run.sh", 3, object="spark-submit spark.authenticate"),
        Location(url="http://driver:4040/api/v1/applications/a-1", object="spark.authenticate"),
        Location(),
    ],
)
def test_a_setting_gives_back_its_location(where: Location) -> None:
    s = Setting.at("spark.authenticate", "false", where, templated=True)
    assert s.location == where
    assert s.path == where.path
    assert (s.templated, s.exposed) == (True, False)
    assert not any(isinstance(getattr(s, name), Location) for name in Setting.__slots__)


def test_flags_are_independent() -> None:
    where = Location("a.conf", 1)
    for templated in (False, True):
        for exposed in (False, True):
            s = Setting.at("k", "v", where, templated, exposed)
            assert (s.templated, s.exposed) == (templated, exposed)


def test_a_place_is_a_path_or_a_url_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        Setting.at("k", "v", Location(path="a.conf", url="http://x/"))


def test_facts_added_after_track_late_are_recorded() -> None:
    """What worker processes judged does not cover facts added after the chunks were merged
    (by link(), by later steps): the inventory records them once asked to."""
    inventory = Inventory()
    merged, linked = Location("a"), Location("b")
    inventory.add(merged)
    assert inventory.late is None
    inventory.track_late()
    inventory.add(linked)
    assert inventory.late == {id(linked)}
    assert inventory.of(Location) == [merged, linked]
