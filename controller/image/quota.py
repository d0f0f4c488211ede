"""How many bytes an upload may bring: the largest image allowed and the project's quota.

Checked while the data streams in, so reading stops at the first byte over either limit.
"""
import dataclasses


class LimitExceeded(Exception):
    """An image is over a size limit; the message says which and by how much."""


@dataclasses.dataclass(frozen=True)
class UploadLimits:
    max_image_size: int
    project_quota: int      # 0: unlimited
    project_usage: int      # bytes the project's other images already hold

    def room(self, size):
        """How many more bytes an image of ``size`` bytes may take."""
        room = self.max_image_size - size
        if self.project_quota:
            room = min(room, self.project_quota - self.project_usage - size)
        return max(room, 0)

    def check(self, size):
        """Raise LimitExceeded if an image of ``size`` bytes may not be stored."""
        if size > self.max_image_size:
            raise LimitExceeded(f"Image exceeds the maximum image size of "
                                f"{self.max_image_size} bytes.")
        if self.project_quota and self.project_usage + size > self.project_quota:
            raise LimitExceeded(
                f"Image exceeds the project's image storage quota: {self.project_usage} "
                f"of {self.project_quota} bytes are already used.")
