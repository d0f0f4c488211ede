"""The start-up check that QEMU's user can reach the instance and image directories."""
import os

from agent.virt.libvirt.host_checks import first_unsearchable_dir, qemu_identity

CAPABILITIES = """<capabilities><host>
  <secmodel><model>none</model><doi>0</doi></secmodel>
  <secmodel><model>dac</model><doi>0</doi>
    <baselabel type='kvm'>+64055:+108</baselabel>
    <baselabel type='qemu'>+64055:+108</baselabel>
  </secmodel></host></capabilities>"""


def test_qemu_identity_from_the_dac_base_label():
    uid, gids = qemu_identity(CAPABILITIES)
    assert uid == 64055
    assert 108 in gids


def test_no_dac_label_means_qemu_runs_as_root():
    assert qemu_identity("<capabilities><host/></capabilities>") is None


def test_a_directory_without_search_permission_blocks(tmp_path):
    # tmp_path's ancestors are searchable by their owner, the user running the tests
    closed = tmp_path / "closed"
    (closed / "state").mkdir(parents=True)
    uid = os.getuid()
    assert first_unsearchable_dir(str(closed / "state"), uid, set()) is None
    os.chmod(closed, 0o610)  # the owner's bits decide for the owner, not the group's
    try:
        assert first_unsearchable_dir(str(closed / "state"), uid,
                                      {os.stat(closed).st_gid}) == str(closed)
    finally:
        os.chmod(closed, 0o700)


def test_directories_yet_to_be_created_do_not_block(tmp_path):
    assert first_unsearchable_dir(str(tmp_path / "not" / "yet"), os.getuid(), set()) is None
