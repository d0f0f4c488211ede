"""The libvirt virt driver: QEMU/KVM guests defined from flavors and image properties."""
