"""Who sees which images, and listing order and pages, against a real (SQLite) schema."""
import datetime

import pytest

from controller.api import errors
from controller.api.auth import RequestAuth
from controller.db import migration
from controller.db.engine import Database
from controller.image import listing
from controller.image.models import Image, ImageMember, ImageProperty, ImageTag
from controller.image.repository import get_image, list_images, project_usage


def caller(project, admin=False):
    roles = {"reader", "member"} | ({"admin"} if admin else set())
    return RequestAuth(token="t", user_id="u", user_name="u", user_domain_id="default",
                       project_id=project, project_name=project, project_domain_id="default",
                       roles=frozenset(roles),
                       expires_at=datetime.datetime(2100, 1, 1))


ALICE, BOB, CAROL = caller("alice"), caller("bob"), caller("carol")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "images.sqlite")
    migration.upgrade(url)
    database = Database(url)
    start = datetime.datetime(2026, 1, 1)
    images = [
        # name, owner, visibility, size, extra
        ("alice-private", "alice", "private", 10, {}),
        ("alice-shared-bob", "alice", "shared", 20, {"member": ("bob", "accepted")}),
        ("alice-shared-pending", "alice", "shared", 30, {"member": ("bob", "pending")}),
        ("public", "carol", "public", None, {"tag": "gold"}),
        ("community", "carol", "community", 50, {"prop": ("os_distro", "debian")}),
        (None, "bob", "shared", 60, {"hidden": True}),
        ("bob-own", "bob", "private", 70, {"tag": "gold", "prop": ("os_distro", "debian")}),
    ]
    with database.session() as session:
        for index, (name, owner, visibility, size, extra) in enumerate(images):
            image = Image(id=f"00000000-0000-0000-0000-{index:012d}", name=name,
                          owner=owner, visibility=visibility, status="active", size=size,
                          os_hidden=extra.get("hidden", False),
                          created_at=start + datetime.timedelta(minutes=index))
            if "member" in extra:
                image.members.append(ImageMember(member=extra["member"][0],
                                                 status=extra["member"][1]))
            if "tag" in extra:
                image.tags.append(ImageTag(value=extra["tag"]))
            if "prop" in extra:
                image.properties.append(ImageProperty(name=extra["prop"][0],
                                                      value=extra["prop"][1]))
            session.add(image)
    yield database
    database.dispose()


def names(db, auth, **params):
    query = listing.parse({k: [v] for k, v in params.items()})
    with db.session() as session:
        images, _ = list_images(session, auth, query)
        return [image.name for image in images]


def test_default_list_holds_own_public_and_accepted_shared_images(db):
    assert sorted(names(db, BOB, sort="name:asc")) == ["alice-shared-bob", "bob-own",
                                                       "public"]
    # An owner lists its own community images; others only when they ask for them.
    assert sorted(names(db, CAROL)) == ["community", "public"]


def test_hidden_images_are_listed_only_when_asked(db):
    assert names(db, BOB, os_hidden="true") == [None]


def test_community_images_are_listed_only_when_asked(db):
    assert names(db, BOB, visibility="community") == ["community"]
    assert "community" in names(db, BOB, visibility="all")


def test_member_status_filter(db):
    assert names(db, BOB, visibility="shared", member_status="pending") == [
        "alice-shared-pending"]
    assert sorted(names(db, BOB, visibility="shared", member_status="all")) == [
        "alice-shared-bob", "alice-shared-pending"]


def test_private_filter_shows_only_own_private_images(db):
    assert names(db, BOB, visibility="private") == ["bob-own"]


def test_admin_sees_every_image(db):
    assert len(names(db, caller("admin", admin=True))) == 6


def test_tag_and_property_filters(db):
    assert names(db, BOB, tag="gold", sort="name:asc") == ["bob-own", "public"]
    assert names(db, BOB, os_distro="debian") == ["bob-own"]


def test_get_image_hides_other_projects_private_images(db):
    with db.session() as session:
        assert get_image(session, ALICE, "00000000-0000-0000-0000-000000000000")
        # Shared with bob, even while pending, and community images: visible by id.
        assert get_image(session, BOB, "00000000-0000-0000-0000-000000000002")
        assert get_image(session, BOB, "00000000-0000-0000-0000-000000000004")
        for hidden_from_carol in ("000000000000", "000000000001", "000000000005"):
            with pytest.raises(errors.NotFound):
                get_image(session, CAROL, f"00000000-0000-0000-0000-{hidden_from_carol}")


@pytest.mark.parametrize("sort", ["name:asc", "name:desc", "size:asc,name:desc",
                                  "created_at:asc", "updated_at:desc", "owner:asc"])
def test_marker_pages_walk_the_whole_list_once(db, sort):
    admin = caller("admin", admin=True)
    everything = names(db, admin, sort=sort)
    seen, marker = [], None
    while True:
        params = {"sort": [sort], "limit": ["2"]}
        if marker:
            params["marker"] = [marker]
        with db.session() as session:
            images, more = list_images(session, admin, listing.parse(params))
            seen += [image.name for image in images]
            marker = images[-1].id if images else None
        if not more:
            break
    assert seen == everything


def test_project_usage_counts_stored_bytes(db):
    with db.session() as session:
        assert project_usage(session, "alice") == 60
        assert project_usage(session, "alice",
                             exclude="00000000-0000-0000-0000-000000000000") == 50
        assert project_usage(session, "nobody") == 0
