"""Network types, MTU and VNI allocation."""
import pytest

from controller.network import segments


def test_vni_ranges_parse_and_sort():
    assert segments.parse_vni_ranges(["100:200", "5:9"]) == [(5, 9), (100, 200)]


@pytest.mark.parametrize("bad", ["0:10", "10:5", "1:16777216", "x:y", "7"])
def test_bad_vni_ranges_are_refused(bad):
    with pytest.raises(segments.SegmentError):
        segments.parse_vni_ranges([bad])


def test_next_free_vni_is_lowest_unused_across_ranges():
    ranges = [(5, 6), (100, 101)]
    assert segments.next_free_vni(ranges, set()) == 5
    assert segments.next_free_vni(ranges, {5}) == 6
    assert segments.next_free_vni(ranges, {5, 6}) == 100
    assert segments.next_free_vni(ranges, {5, 6, 100}) == 101


def test_vni_exhaustion_is_no_network_available():
    with pytest.raises(segments.SegmentError) as info:
        segments.next_free_vni([(1, 2)], {1, 2})
    assert (info.value.error_type, info.value.status) == ("NoNetworkAvailable", 503)


def test_a_freed_vni_is_reused():
    used = {1, 2, 3}
    used.discard(2)
    assert segments.next_free_vni([(1, 10)], used) == 2


def test_vxlan_mtu_leaves_room_for_the_headers():
    assert segments.mtu_for("vxlan", 1500) == 1450
    assert segments.mtu_for("flat", 1500) == 1500


def test_segment_checks():
    assert segments.check_segment("vxlan", None, None) == (None, None)
    assert segments.check_segment("vxlan", "42", None) == (42, None)
    assert segments.check_segment("flat", None, "physnet1") == (None, "physnet1")
    for args in [("vxlan", 0, None), ("vxlan", 2 ** 24, None), ("vxlan", None, "physnet1"),
                 ("flat", 5, "physnet1"), ("flat", None, None), ("vxlan", True, None)]:
        with pytest.raises(segments.SegmentError):
            segments.check_segment(*args)
    with pytest.raises(segments.SegmentError):
        segments.check_network_type("vlan")
