"""Implied roles: admin ⊃ member ⊃ reader, and whatever operators add."""
from controller.identity.assignments import expand_implied

CHAIN = {"admin": {"member"}, "member": {"reader"}}


def test_chain_expands_transitively():
    assert expand_implied(["admin"], CHAIN) == {"admin", "member", "reader"}
    assert expand_implied(["member"], CHAIN) == {"member", "reader"}
    assert expand_implied(["reader"], CHAIN) == {"reader"}


def test_several_roles_and_branches():
    rules = {**CHAIN, "auditor": {"reader", "logs"}}
    assert expand_implied(["auditor", "member"], rules) == {"auditor", "reader", "logs",
                                                            "member"}


def test_cycles_terminate():
    assert expand_implied(["a"], {"a": {"b"}, "b": {"a"}}) == {"a", "b"}


def test_nothing_in_nothing_out():
    assert expand_implied([], CHAIN) == set()
