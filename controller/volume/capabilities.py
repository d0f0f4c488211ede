"""What the file backend offers, as Cinder's drivers report it to the scheduler, and
Cinder's capabilities filter: a volume type's extra specs (unscoped or
``capabilities:``-scoped) must all match the backend's capabilities, with the operators
of Cinder's extra_specs_ops (``<is> True``, ``<in>``, ``<or>``, ``>=``, ``s==``...), or
the volume cannot be placed."""
import operator
import os

BACKEND = "files"       # host@BACKEND, as Cinder names a volume service's backend
POOL = "files"          # host@BACKEND#POOL, the pool a volume lives in
VENDOR = "pocketstack"
PROTOCOL = "nbd"
DRIVER_VERSION = "1.0"
GiB = 1024 ** 3


def backend_capabilities(volumes_path):
    """The capabilities the scheduler matches types against (Cinder's volume stats)."""
    total = free = 0.0
    if os.path.isdir(volumes_path):
        stat = os.statvfs(volumes_path)
        total = round(stat.f_frsize * stat.f_blocks / GiB, 2)
        free = round(stat.f_frsize * stat.f_bavail / GiB, 2)
    return {"volume_backend_name": BACKEND, "pool_name": POOL, "vendor_name": VENDOR,
            "driver_version": DRIVER_VERSION, "storage_protocol": PROTOCOL,
            "total_capacity_gb": total, "free_capacity_gb": free,
            "reserved_percentage": 0, "QoS_support": False,
            "thin_provisioning_support": True, "thick_provisioning_support": False,
            "multiattach": False}


def _bool(text):
    return str(text).strip().lower() in ("1", "t", "true", "on", "y", "yes")


def _numeric(compare):
    return lambda value, wanted: compare(float(value), float(wanted))


OPERATORS = {
    "=": _numeric(operator.ge), "==": _numeric(operator.eq), "!=": _numeric(operator.ne),
    ">=": _numeric(operator.ge), "<=": _numeric(operator.le),
    "<in>": lambda value, wanted: wanted in value,
    "<is>": lambda value, wanted: _bool(value) is _bool(wanted),
    "s==": operator.eq, "s!=": operator.ne, "s<": operator.lt, "s<=": operator.le,
    "s>": operator.gt, "s>=": operator.ge,
}


def matches(value, requirement):
    """Whether a capability ``value`` meets an extra spec ``requirement``."""
    words = requirement.split()
    if not words or (words[0] != "<or>" and words[0] not in OPERATORS):
        return str(value) == requirement
    if words[0] == "<or>":      # "<or> a <or> b": any of them
        return str(value) in words[1::2]
    if len(words) < 2:
        return False
    try:
        return OPERATORS[words[0]](str(value), words[1])
    except ValueError:
        return False


def unmet_specs(extra_specs, capabilities):
    """The extra specs the backend does not satisfy (empty: the type fits)."""
    unmet = []
    for key, requirement in extra_specs.items():
        scope = key.split(":")
        if len(scope) > 1 and scope[0] != "capabilities":
            continue                # a vendor's or another service's key
        name = ":".join(scope[1:]) if scope[0] == "capabilities" else key
        if name not in capabilities or not matches(capabilities[name], requirement):
            unmet.append(key)
    return unmet
