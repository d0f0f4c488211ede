"""Key pairs: generated pairs load, imports are checked, fingerprints match ssh-keygen's."""
import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

from contract.exception import InvalidRequest
from controller.compute import keypairs


def test_generated_pair_is_a_matching_openssh_pair():
    private, public = keypairs.generate("test-comment")
    key = serialization.load_ssh_private_key(private.encode(), password=None)
    derived = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                            serialization.PublicFormat.OpenSSH).decode()
    assert public == derived + " test-comment"
    assert keypairs.check_public_key(public + "\n") == public


def test_fingerprint_is_md5_of_the_key_blob():
    _, public = keypairs.generate("c")
    digest = hashlib.md5(base64.b64decode(public.split()[1])).hexdigest()
    assert keypairs.fingerprint(public).replace(":", "") == digest
    assert len(keypairs.fingerprint(public).split(":")) == 16


@pytest.mark.parametrize("text", ["", "not a key", "ssh-rsa AAAAnotbase64!!"])
def test_invalid_public_key_is_refused(text):
    with pytest.raises(InvalidRequest, match="Keypair data is invalid"):
        keypairs.check_public_key(text)
