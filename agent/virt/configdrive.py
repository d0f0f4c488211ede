"""Build an OpenStack config drive: an ISO9660 image labelled ``config-2``.

The layout follows Nova's: ``openstack/latest/`` (mirrored in
``openstack/2012-08-10/``) holds ``meta_data.json``, ``network_data.json``,
``vendor_data.json`` and, when given, ``user_data``. Rock Ridge and Joliet
extensions carry the long lowercase names, as genisoimage's ``-r -J`` does.
"""
import io
import json
import re

import pycdlib

VOLUME_LABEL = "config-2"
VERSIONS = ("latest", "2012-08-10")


def _iso_name(name):
    """ISO9660 level-3 spelling of ``name`` (readers use the RR/Joliet names)."""
    return re.sub(r"[^A-Z0-9_.]", "_", name.upper())


def build_config_drive(path, meta_data, user_data=None, network_data=None,
                       vendor_data=None):
    """Write the config drive image to ``path``.

    ``meta_data``, ``network_data`` and ``vendor_data`` are JSON-serialisable
    dicts (the last two default to ``{}``); ``user_data`` is bytes or None.
    """
    files = {
        "meta_data.json": json.dumps(meta_data).encode(),
        "network_data.json": json.dumps(network_data or {}).encode(),
        "vendor_data.json": json.dumps(vendor_data or {}).encode(),
    }
    if user_data is not None:
        files["user_data"] = bytes(user_data)

    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, vol_ident=VOLUME_LABEL, sys_ident="LINUX",
            rock_ridge="1.09", joliet=3)
    try:
        iso.add_directory("/OPENSTACK", rr_name="openstack",
                          joliet_path="/openstack")
        for version in VERSIONS:
            iso_dir = "/OPENSTACK/" + _iso_name(version)
            joliet_dir = "/openstack/" + version
            iso.add_directory(iso_dir, rr_name=version, joliet_path=joliet_dir)
            for name, data in files.items():
                iso.add_fp(io.BytesIO(data), len(data),
                           f"{iso_dir}/{_iso_name(name)};1", rr_name=name,
                           joliet_path=f"{joliet_dir}/{name}")
        iso.write(str(path))
    finally:
        iso.close()
