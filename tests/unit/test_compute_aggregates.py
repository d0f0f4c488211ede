"""Availability zones from host aggregates: which zone a host is in, and which changes
would put a host in two zones."""
from controller.compute import aggregates


def test_aggregate_zone_wins_then_reported_then_default():
    assert aggregates.resolve_zone("az1", "rack2", "nova") == "az1"
    assert aggregates.resolve_zone(None, "rack2", "nova") == "rack2"
    assert aggregates.resolve_zone(None, None, "nova") == "nova"


MEMBERSHIPS = [(1, "h1", "az1"), (2, "h1", "az1"), (3, "h2", "az2")]


def test_hosts_may_join_more_aggregates_of_their_zone():
    assert aggregates.conflicting_zones("az1", ["h1"], MEMBERSHIPS, aggregate_id=4) == []
    assert aggregates.conflicting_zones("az9", ["h3"], MEMBERSHIPS, aggregate_id=4) == []


def test_a_host_cannot_be_in_two_zones():
    assert aggregates.conflicting_zones("az2", ["h1"], MEMBERSHIPS, aggregate_id=4) == [
        "az1"]
    assert aggregates.conflicting_zones("az3", ["h1", "h2"], MEMBERSHIPS, 4) == [
        "az1", "az2"]


def test_renaming_the_zone_of_the_only_aggregate_is_no_conflict():
    # h2 is only in aggregate 3: moving aggregate 3 to another zone moves h2 with it.
    assert aggregates.conflicting_zones("az5", ["h2"], MEMBERSHIPS, aggregate_id=3) == []
    # h1 is also in aggregate 2, which would stay in az1.
    assert aggregates.conflicting_zones("az5", ["h1"], MEMBERSHIPS, aggregate_id=1) == [
        "az1"]
