"""When the block storage service says it is up."""
import os

from controller.volume.api import services


def test_a_writable_directory_and_the_tools_present_is_up(tmp_path):
    assert services.backend_problems(str(tmp_path), ["sh"]) == []


def test_a_missing_directory_or_tool_is_down(tmp_path):
    missing = os.path.join(tmp_path, "nowhere")
    assert services.backend_problems(missing, ["sh", "no-such-qemu-tool"]) == [
        f"{missing} is not a writable directory", "no-such-qemu-tool is not installed"]
