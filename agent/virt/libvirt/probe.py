"""Does KVM really work here? Boot a tiny guest under it and watch its console.

``/dev/kvm`` existing proves little: under some nested hypervisors it opens, yet a Linux
guest hangs early in boot. The only honest test is to boot one.
"""
import os
import subprocess
import tempfile
import time
import uuid

import libvirt

DOMAIN_XML = """<domain type='kvm'>
  <name>{name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='file'><source path='{log}'/></serial>
  </devices>
</domain>"""


def kvm_boots(image_file, marker=b"pocketstack-tiny:", timeout=30,
              uri="qemu:///system"):
    """True when the tiny image reaches its init under KVM within ``timeout`` seconds."""
    workdir = tempfile.mkdtemp(prefix="pocketstack-kvm-probe-")
    os.chmod(workdir, 0o755)
    disk = os.path.join(workdir, "disk.qcow2")
    log = os.path.join(workdir, "console.log")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
                    "-b", os.path.abspath(image_file), disk], check=True, timeout=60)
    conn = libvirt.open(uri)
    domain = None
    try:
        name = f"pocketstack-kvm-probe-{uuid.uuid4().hex[:8]}"
        domain = conn.createXML(DOMAIN_XML.format(name=name, disk=disk, log=log), 0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(log):
                with open(log, "rb") as f:
                    if marker in f.read():
                        return True
            time.sleep(0.5)
        return False
    except libvirt.libvirtError:
        return False
    finally:
        if domain is not None:
            try:
                domain.destroy()
            except libvirt.libvirtError:
                pass
        conn.close()
        for path in (disk, log):
            if os.path.exists(path):
                os.unlink(path)
        os.rmdir(workdir)
