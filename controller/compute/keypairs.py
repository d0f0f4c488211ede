"""Key pairs: SSH keys and (from 2.2) x509 certificates — checking an imported public
key, generating a new pair, fingerprints."""
import base64
import datetime
import hashlib

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Nova's x509 certificates: RSA 2048, valid ten years, for client authentication.
X509_BITS = 2048
X509_DAYS = 3650
# The otherName type of a User Principal Name (what WinRM maps certificates by).
_UPN_OID = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")

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


def x509_fingerprint(certificate):
    """Nova's x509 fingerprint: SHA-1 of the certificate (PEM text), as colon-separated
    hex; a 400 if it is not a PEM certificate."""
    try:
        cert = x509.load_pem_x509_certificate(certificate.encode())
    except ValueError as exc:
        raise InvalidRequest(f"Keypair data is invalid: failed to generate X509 "
                             f"fingerprint. Error message: {exc}") from None
    digest = cert.fingerprint(hashes.SHA1()).hex()   # noqa: S303 - Nova's fingerprint
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def generate_x509(user_id):
    """A new self-signed client certificate for ``user_id``, as Nova makes one: (PEM
    private key, PEM certificate)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=X509_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, user_id)])
    now = datetime.datetime.now(datetime.timezone.utc)
    upn = x509.OtherName(_UPN_OID, _der_utf8(f"{user_id}@localhost"))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=X509_DAYS))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectAlternativeName([upn]), critical=False)
            .sign(key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return private, cert.public_bytes(serialization.Encoding.PEM).decode()


def _der_utf8(text):
    """``text`` as a DER UTF8String (what an otherName's value holds)."""
    data = text.encode()
    return bytes([0x0C, len(data)]) + data
