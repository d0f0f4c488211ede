"""The cloud's processes — agents, conductors, schedulers — as admins see and change them
(``openstack compute service list/set/delete``), with the zone of each agent's host."""
from contract import exception
from controller.compute import aggregates
from controller.scheduler import ServiceInUse, ServiceNotFound, placement


class NoSuchService(exception.ComputeError):
    code = 404


class InvalidServiceUpdate(exception.ComputeError):
    code = 400


class ServiceBusy(exception.ComputeError):
    code = 409


def _zones(db):
    with db.session() as session:
        return aggregates.host_zones(session)


def _by_id(db, service_id):
    for service in placement.list_services(db):
        if service_id in (service.uuid, str(service.id)):
            return service
    raise NoSuchService(f"Service {service_id} could not be found.")


def list_services(db, binary=None, host=None):
    """(services, host → zone from aggregates)."""
    return placement.list_services(db, binary=binary, host=host), _zones(db)


def update(db, service_id, status=None, disabled_reason=None, forced_down=None):
    """Enable or disable (``status``) and/or force down the service with integer id or
    uuid ``service_id``; a reason goes only with disabling. Returns (the service as it
    now is, host → zone from aggregates)."""
    service = _by_id(db, service_id)
    if disabled_reason is not None and status != "disabled":
        raise InvalidServiceUpdate("Specifying a disabled_reason is only supported when "
                                   "the status is disabled.")
    if status is None and forced_down is None:
        raise InvalidServiceUpdate("At least one of status or forced_down must be given.")
    disabled = service.disabled if status is None else status == "disabled"
    placement.set_service_status(db, service.host, service.binary, disabled,
                                 reason=disabled_reason, forced_down=forced_down)
    return _by_id(db, service_id), _zones(db)


def update_by_host(db, binary, host, disabled=None, reason=None, forced_down=None):
    """The pre-2.53 way: enable/disable (``disabled``) or force down (``forced_down``)
    the service ``binary`` of ``host``. Returns the service as it was."""
    matches = placement.list_services(db, binary=binary, host=host)
    if not matches:
        raise NoSuchService(f"Service {binary} on host {host} could not be found.")
    service = matches[0]
    if forced_down is not None:
        placement.set_service_status(db, service.host, service.binary, service.disabled,
                                     forced_down=forced_down)
    else:
        placement.set_service_status(db, service.host, service.binary, disabled,
                                     reason=reason)
    return service


def delete(db, service_id):
    """Delete the service (409 while servers hold claims on its host)."""
    service = _by_id(db, service_id)
    try:
        placement.delete_service(db, service.id)
    except ServiceNotFound:
        raise NoSuchService(f"Service {service_id} could not be found.") from None
    except ServiceInUse as exc:
        raise ServiceBusy(str(exc)) from None
