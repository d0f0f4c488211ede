"""Options of the identity service (``[identity]``)."""
from oslo_config import cfg

GROUP = "identity"

identity_opts = [
    cfg.IntOpt("token_expiration", default=3600, min=1,
               help="Seconds a token stays valid after it is issued."),
    cfg.StrOpt("key_repository",
               help="Directory of the Fernet keys (files 0..N: 0 is staged, the highest "
                    "is primary). Default: <state_path>/fernet-keys. Every controller "
                    "process that serves identity needs the same keys."),
    cfg.IntOpt("max_active_keys", default=3, min=2,
               help="Keys kept by a rotation (staged + primary + secondaries). A token "
                    "outlives at most max_active_keys - 2 rotations."),
    cfg.FloatOpt("revocation_check_seconds", default=1.0, min=0,
                 help="How often a process that validates tokens locally looks in the "
                      "database for revocations recorded by other processes."),
    cfg.StrOpt("auth_url",
               help="Identity endpoint (…/identity/v3) that processes without the api "
                    "role validate tokens against. Default: <public_url>/identity/v3."),
    cfg.IntOpt("argon2_time_cost", default=3, min=1,
               help="Argon2id iterations for password hashes."),
    cfg.IntOpt("argon2_memory_cost", default=19456, min=8,
               help="Argon2id memory in KiB for password hashes (OWASP minimum: 19 MiB)."),
]


def register_opts(conf):
    conf.register_opts(identity_opts, group="identity")


def list_opts():
    return [(GROUP, identity_opts)]
