"""Roles (global, or defined in a domain) and the inference rules between them, each
change in one transaction. A token's roles are read afresh at every validation, so a new
or removed rule shows in the next one."""
from sqlalchemy import select

from controller.api import errors
from controller.identity import models, records

# Keystone's [assignment] prohibited_implied_role default: nothing may imply admin.
PROHIBITED_IMPLIED = ("admin",)


def list_roles(db, filters, domain_id=None):
    """Roles matching ``filters``: the global ones, or those of ``domain_id``."""
    statement = records.apply_filters(select(models.Role), models.Role, filters)
    statement = statement.where(models.Role.domain_id == domain_id if domain_id
                                else models.Role.domain_id.is_(None))
    with db.session() as session:
        return session.scalars(statement.order_by(models.Role.name)).all()


def _duplicate_check(session, name, exclude_id=None):
    statement = select(models.Role.id).where(models.Role.name == name)
    if exclude_id is not None:
        statement = statement.where(models.Role.id != exclude_id)
    records.conflict_on_duplicate(session, "role", name, statement)


def create_role(db, name, description, domain_id=None):
    role = models.Role(name=name, description=description, domain_id=domain_id)
    with db.session() as session:
        if domain_id is not None:
            records.domain_or_404(session, domain_id)
        _duplicate_check(session, name)
        session.add(role)
        records.flush(session, "role")
    return role


def update_role(db, role_id, changes):
    """Apply ``changes`` (name, description); a role cannot move between domains."""
    with db.session() as session:
        role = records.get_or_404(session, models.Role, role_id, "role")
        if changes.get("domain_id", role.domain_id) != role.domain_id:
            raise errors.BadRequest("A role cannot move to another domain.")
        if "name" in changes:
            role.name = changes["name"]
            _duplicate_check(session, role.name, role.id)
        if "description" in changes:
            role.description = changes["description"]
        records.flush(session, "role")
    return role


def delete_role(db, role_id):
    with db.session() as session:
        session.delete(records.get_or_404(session, models.Role, role_id, "role"))


def _rule_roles(session, prior_id, implied_id):
    return (records.get_or_404(session, models.Role, prior_id, "role"),
            records.get_or_404(session, models.Role, implied_id, "role"))


def _no_rule(prior_id, implied_id):
    return errors.NotFound(f"{prior_id} does not imply {implied_id}.")


def create_rule(db, prior_id, implied_id):
    """``prior`` implies ``implied`` from now on; (prior, implied) Role rows."""
    with db.session() as session:
        prior, implied = _rule_roles(session, prior_id, implied_id)
        # A domain role may imply any role; a global one only global roles (Keystone).
        if ((implied.domain_id is not None and prior.domain_id is None)
                or implied.name in PROHIBITED_IMPLIED):
            raise errors.Forbidden(f"{implied_id} cannot be an implied role.")
        if session.get(models.ImpliedRole, (prior_id, implied_id)) is None:
            session.add(models.ImpliedRole(prior_role_id=prior_id,
                                           implied_role_id=implied_id))
        return prior, implied


def show_rule(db, prior_id, implied_id):
    with db.session() as session:
        prior, implied = _rule_roles(session, prior_id, implied_id)
        if session.get(models.ImpliedRole, (prior_id, implied_id)) is None:
            raise _no_rule(prior_id, implied_id)
        return prior, implied


def delete_rule(db, prior_id, implied_id):
    with db.session() as session:
        _rule_roles(session, prior_id, implied_id)
        rule = session.get(models.ImpliedRole, (prior_id, implied_id))
        if rule is None:
            raise _no_rule(prior_id, implied_id)
        session.delete(rule)


def list_rules(db, prior_id=None):
    """[(prior Role, [implied Roles])], of one prior role (404 if there is none) or all."""
    Implied = models.ImpliedRole
    with db.session() as session:
        if prior_id is not None:
            records.get_or_404(session, models.Role, prior_id, "role")
        roles = {role.id: role for role in session.scalars(select(models.Role))}
        statement = select(Implied.prior_role_id, Implied.implied_role_id)
        if prior_id is not None:
            statement = statement.where(Implied.prior_role_id == prior_id)
        rules = {}
        for prior, implied in session.execute(statement):
            rules.setdefault(prior, []).append(roles[implied])
        if prior_id is not None:
            rules.setdefault(prior_id, [])
        return [(roles[prior], sorted(implied, key=lambda r: r.name))
                for prior, implied in sorted(rules.items())]
