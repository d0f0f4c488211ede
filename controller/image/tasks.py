"""Glance's tasks API (``/v2/tasks``), with its one task type that imports: ``import``
makes an image from ``image_properties`` and fetches its data from ``import_from`` with
the web-download import's rules (the URL must pass the operator's filters, checked when
the task is created, as newer Glance does). A task runs in the background: ``pending``,
``processing``, then ``success`` (``result``: the image's id) or ``failure``
(``message``: why; the image it made is deleted). Finished tasks expire after
``TIME_TO_LIVE`` and are then removed. Only admins use tasks (Glance's default).
"""
import datetime
import logging
import threading

from sqlalchemy import delete, select

from controller import policy
from controller.api import errors
from controller.db.base import isotime, utcnow
from controller.image import patch, schemas, status, web_download
from controller.image.data import IMPORT_ERROR_PROPERTY
from controller.image.models import Image, ImageTask
from controller.image.paging import keyset_page

LOG = logging.getLogger(__name__)
TYPES = ("import", "api_image_import", "location_import")
STATUSES = ("pending", "processing", "success", "failure")
TIME_TO_LIVE = datetime.timedelta(hours=48)     # Glance's task_time_to_live
SORT_KEYS = ("created_at", "updated_at", "id", "type", "status")
_IMAGE_CORE = ("id", *patch.CORE_EDITABLE)


class ImageTasks:
    def __init__(self, conf, db, records, data):
        self.conf = conf
        self.db = db
        self.records = records
        self.data = data

    def recover(self):
        """Tasks a previous process left unfinished failed with it."""
        with self.db.session() as session:
            for task in session.scalars(select(ImageTask).where(
                    ImageTask.status.in_(("pending", "processing")))):
                self._end(task, "failure", message="The task was interrupted by a restart "
                                                   "of the image service.")

    def create(self, auth, task_type, task_input):
        policy.authorize(auth, "image:tasks_api_access")
        policy.authorize(auth, "image:add_task")
        if task_type != "import":
            raise errors.BadRequest(f"Task type {task_type!r} cannot be created through "
                                    f"the tasks API; use 'import'.")
        uri = task_input.get("import_from")
        if not isinstance(uri, str) or not uri:
            raise errors.BadRequest("An import task needs input.import_from: the URL of "
                                    "the image data.")
        try:
            web_download.check_uri(uri, self.conf)
        except web_download.ImportFailed as exc:
            raise errors.BadRequest(f"URI for legacy import task does not pass filtering: "
                                    f"{exc}")
        now = utcnow()
        task = ImageTask(type=task_type, status="pending", owner=auth.project_id,
                         user_id=auth.user_id, input=task_input, message="",
                         created_at=now, updated_at=now)
        with self.db.session() as session:
            session.add(task)
            session.flush()
            view = task_view(task)
        threading.Thread(target=self._run, name=f"task-{task.id}", daemon=True,
                         args=(auth, task.id, task_input)).start()
        return view

    def _run(self, auth, task_id, task_input):
        self._update(task_id, "processing")
        image_id = None
        try:
            image_id = self._create_image(auth, task_input)
            self._update(task_id, "processing", image_id=image_id)
            self.data.import_now(auth, image_id, task_input["import_from"])
            with self.db.session() as session:
                image = session.get(Image, image_id)
                failure = (None if image is not None and image.status == status.ACTIVE
                           else _import_error(image))
        except errors.ApiError as exc:
            failure = str(exc)
        except Exception:
            LOG.exception("Task %s failed", task_id)
            failure = "The task failed unexpectedly; see the image service's log."
        if failure is None:
            self._update(task_id, "success", result={"image_id": image_id})
            return
        if image_id is not None:
            try:
                self.records.delete(auth, image_id)
            except errors.ApiError:
                LOG.warning("Task %s could not delete its image %s", task_id, image_id)
        self._update(task_id, "failure", message=failure)

    def _create_image(self, auth, task_input):
        properties = task_input.get("image_properties") or {}
        if not isinstance(properties, dict):
            raise errors.BadRequest("input.image_properties must be an object.")
        try:
            schemas.validate(self.records.schema, properties)
        except schemas.SchemaError as exc:
            raise errors.BadRequest(str(exc))
        core = {k: v for k, v in properties.items() if k in _IMAGE_CORE and k != "tags"}
        custom = {k: v for k, v in properties.items() if k not in _IMAGE_CORE}
        visibility = core.pop("visibility", "shared")
        image = self.records.create(core.pop("id", None), auth.project_id, visibility,
                                    core, custom, sorted(set(properties.get("tags", ()))))
        return image.id

    def _update(self, task_id, new_status, **changes):
        with self.db.session() as session:
            task = session.get(ImageTask, task_id)
            if task is None:
                return
            if new_status in ("success", "failure"):
                self._end(task, new_status, **changes)
                return
            task.status = new_status
            for name, value in changes.items():
                setattr(task, name, value)
            task.updated_at = utcnow()

    @staticmethod
    def _end(task, new_status, **changes):
        task.status = new_status
        for name, value in changes.items():
            setattr(task, name, value)
        task.updated_at = utcnow()
        task.expires_at = task.updated_at + TIME_TO_LIVE

    def list(self, auth, page, filters):
        policy.authorize(auth, "image:tasks_api_access")
        policy.authorize(auth, "image:get_tasks")
        with self.db.session() as session:
            session.execute(delete(ImageTask).where(ImageTask.expires_at < utcnow()))
            query = select(ImageTask)
            if not auth.is_admin:
                query = query.where(ImageTask.owner == auth.project_id)
            for name, value in filters.items():
                query = query.where(getattr(ImageTask, name) == value)
            marker = None
            if page.marker:
                marker = session.get(ImageTask, page.marker)
                if marker is None:
                    raise errors.BadRequest(f"Invalid marker {page.marker}: no such task.")
            tasks = keyset_page(session, query, ImageTask, page, ImageTask.id, marker)
            more = page.limit is not None and tasks and len(tasks) == page.limit
            return [task_view(t, stub=True) for t in tasks], tasks[-1].id if more else None

    def show(self, auth, task_id):
        policy.authorize(auth, "image:tasks_api_access")
        with self.db.session() as session:
            task = session.get(ImageTask, task_id)
            if task is None or (task.expires_at is not None and task.expires_at < utcnow()) \
                    or not (auth.is_admin or task.owner == auth.project_id):
                raise errors.NotFound(f"Task with the given id {task_id} not found")
            policy.authorize(auth, "image:get_task", {"project_id": task.owner})
            return task_view(task)


def _import_error(image):
    if image is None:
        return "The image was deleted while its data was imported."
    return next((p.value for p in image.properties if p.name == IMPORT_ERROR_PROPERTY),
                f"The import left the image {image.status}.")


def task_view(task, stub=False):
    """A task as Glance shows it; listings (``stub``) leave out input, result, message."""
    view = {"id": task.id, "type": task.type, "status": task.status, "owner": task.owner,
            "created_at": isotime(task.created_at), "updated_at": isotime(task.updated_at),
            "self": f"/v2/tasks/{task.id}", "schema": "/v2/schemas/task"}
    if task.expires_at is not None:
        view["expires_at"] = isotime(task.expires_at)
    if stub:
        return view
    view.update({"input": task.input, "result": task.result, "message": task.message})
    for name in ("image_id", "user_id"):
        if getattr(task, name):
            view[name] = getattr(task, name)
    return view
