"""Sharing an image with other projects, each change in one transaction.

The owner adds and removes members; a member project accepts or rejects (only then does
the image appear in its default list). Only images with visibility ``shared`` have
members. The owner sees every member, a member only itself.
"""
from sqlalchemy.exc import IntegrityError

from controller import policy
from controller.api import errors
from controller.image.data import image_target
from controller.image.models import ImageMember
from controller.image.repository import get_image


def _require_shared(image):
    if image.visibility != "shared":
        raise errors.Forbidden(f"Only shared images have members; image {image.id} is "
                               f"{image.visibility}.")


def _owns(auth, image):
    return auth.is_admin or image.owner == auth.project_id


def _find_member(auth, image, member_id):
    """The membership, if the caller (owner or that member) may see it; else 404."""
    for member in image.members:
        if member.member == member_id and (_owns(auth, image)
                                           or member_id == auth.project_id):
            return member
    raise errors.NotFound(f"Project {member_id} is not a member of image {image.id}.")


class ImageMembers:
    def __init__(self, conf, db):
        self.conf = conf
        self.db = db

    def list(self, auth, image_id):
        """The members the caller may see."""
        with self.db.session() as session:
            image = get_image(session, auth, image_id)
            policy.authorize(auth, "image:get_members", image_target(image))
            _require_shared(image)
            return [m for m in image.members
                    if _owns(auth, image) or m.member == auth.project_id]

    def add(self, auth, image_id, member_id):
        try:
            with self.db.session() as session:
                image = get_image(session, auth, image_id, for_update=True)
                policy.authorize(auth, "image:add_member", image_target(image))
                _require_shared(image)
                if any(m.member == member_id for m in image.members):
                    raise errors.Conflict(f"Project {member_id} is already a member of "
                                          f"image {image_id}.")
                if len(image.members) >= self.conf.image.image_member_quota:
                    raise errors.RequestEntityTooLarge(
                        f"An image may have at most {self.conf.image.image_member_quota} "
                        f"members.")
                member = ImageMember(member=member_id, status="pending")
                image.members.append(member)
                session.flush()
        except IntegrityError:
            raise errors.Conflict(f"Project {member_id} is already a member of image "
                                  f"{image_id}.")
        return member

    def show(self, auth, image_id, member_id):
        with self.db.session() as session:
            image = get_image(session, auth, image_id)
            policy.authorize(auth, "image:get_member", image_target(image))
            return _find_member(auth, image, member_id)

    def set_status(self, auth, image_id, member_id, new_status):
        """A member accepts or rejects the image (or an owner records either)."""
        with self.db.session() as session:
            image = get_image(session, auth, image_id, for_update=True)
            member = _find_member(auth, image, member_id)
            policy.authorize(auth, "image:modify_member",
                             {**image_target(image), "member_id": member_id})
            member.status = new_status
            session.flush()
            return member

    def remove(self, auth, image_id, member_id):
        with self.db.session() as session:
            image = get_image(session, auth, image_id, for_update=True)
            member = _find_member(auth, image, member_id)
            policy.authorize(auth, "image:delete_member", image_target(image))
            image.members.remove(member)
