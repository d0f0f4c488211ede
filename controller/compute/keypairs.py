"""SSH key pairs: checking an imported public key, generating a new pair, fingerprints."""
import base64
import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from contract.exception import InvalidRequest


def fingerprint(public_key):
    """Nova's fingerprint: MD5 of the key blob, as colon-separated hex."""
    blob = base64.b64decode(public_key.split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def check_public_key(public_key):
    """The key, stripped, if it is an OpenSSH public key; else a 400 saying so."""
    public_key = public_key.strip()
    try:
        serialization.load_ssh_public_key(public_key.encode())
    except (ValueError, TypeError, IndexError, UnsupportedAlgorithm) as exc:
        raise InvalidRequest(f"Keypair data is invalid: failed to parse the public key "
                             f"({exc})") from None
    return public_key


def generate(comment):
    """A new ed25519 pair: (OpenSSH private key text, public key line)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, f"{public} {comment}"
