"""Who may do what: every API action's rule, in one place (oslo.policy).

Each service lists its rules in its own module here (``controller/policy/<service>.py``,
a ``RULES`` list of ``DocumentedRuleDefault``); operators may override any of them in a
policy file. Roles nest through implied roles in the token (admin ⊃ member ⊃ reader), so
a rule names the least role it needs.
"""
import importlib
import threading

from oslo_policy import policy

from conf import CONF
from controller.api import errors

BASE_RULES = [
    policy.RuleDefault("admin", "role:admin"),
    policy.RuleDefault("reader", "role:reader"),
    policy.RuleDefault("member", "role:member"),
    policy.RuleDefault("owner", "project_id:%(project_id)s"),
    policy.RuleDefault("admin_or_owner", "rule:admin or rule:owner"),
    policy.RuleDefault("project_reader", "rule:admin or (role:reader and rule:owner)"),
    policy.RuleDefault("project_member", "rule:admin or (role:member and rule:owner)"),
]

def documented(name, check_str, description, path, *methods):
    """The rule ``name`` of the API action at ``path`` by ``methods``."""
    return policy.DocumentedRuleDefault(
        name, check_str, description,
        [{"path": path, "method": method} for method in methods])


SERVICE_MODULES = ("identity", "image", "compute", "compute_floating_ips", "network",
                   "network_l3", "volume")

_enforcer = None
_lock = threading.Lock()


def _rule_modules():
    for name in SERVICE_MODULES:
        try:
            yield importlib.import_module(f"controller.policy.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"controller.policy.{name}":
                raise


def get_enforcer():
    global _enforcer
    with _lock:
        if _enforcer is None:
            enforcer = policy.Enforcer(CONF, use_conf=True)
            enforcer.register_defaults(BASE_RULES)
            for module in _rule_modules():
                enforcer.register_defaults(module.RULES)
            _enforcer = enforcer
        return _enforcer


def authorize(auth, action, target=None):
    """Raise Forbidden unless ``auth`` (a RequestAuth) may do ``action`` on ``target``.

    ``target`` defaults to the caller's own project, which is right for creating things.
    """
    target = target if target is not None else {"project_id": auth.project_id}
    if not get_enforcer().enforce(action, target, auth.policy_credentials()):
        raise errors.Forbidden(f"Policy doesn't allow {action} to be performed.")


def allowed(auth, action, target=None):
    target = target if target is not None else {"project_id": auth.project_id}
    return get_enforcer().enforce(action, target, auth.policy_credentials())
