"""Security groups and their rules in the database: what Neutron's securitygroups_db
does, each operation one transaction.

A project's ``default`` group is made on its first need — listing or creating groups,
or creating a port without naming groups — with Neutron's four rules: egress to anywhere
over IPv4 and IPv6, ingress from members of the group itself over IPv4 and IPv6. The
``default_security_groups`` row keyed by project makes two concurrent first uses make
one group: the loser's transaction fails and is run again, now finding the winner's.
Every other new group starts with the two egress rules, as in Neutron.
"""
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from controller.api import errors
from controller.network import quotas, sg_rules
from controller.network.models import (DefaultSecurityGroup, PortSecurityGroup,
                                       SecurityGroup, SecurityGroupRule)

DEFAULT_NAME = "default"
DEFAULT_DESCRIPTION = "Default security group"
RULE_FIELDS = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max",
               "remote_ip_prefix", "remote_group_id")


def group_not_found(group_id):
    return errors.NotFound(f"Security group {group_id} does not exist",
                           "SecurityGroupNotFound")


def rule_not_found(rule_id):
    return errors.NotFound(f"Security group rule {rule_id} does not exist",
                           "SecurityGroupRuleNotFound")


def _egress_rules(project_id, remote_group_id=None):
    return [SecurityGroupRule(project_id=project_id, direction="egress",
                              ethertype=ethertype, description="",
                              remote_group_id=remote_group_id)
            for ethertype in sg_rules.ETHERTYPES]


def _visible_groups(scope):
    query = select(SecurityGroup).options(selectinload(SecurityGroup.rules))
    if not scope.all_projects:
        query = query.where(SecurityGroup.project_id == scope.project_id)
    return query


def _visible_rules(scope):
    query = select(SecurityGroupRule)
    if not scope.all_projects:
        query = query.where(SecurityGroupRule.project_id == scope.project_id)
    return query


def get_group(session, group_id, scope):
    group = session.scalars(_visible_groups(scope)
                            .where(SecurityGroup.id == group_id)).first()
    if group is None:
        raise group_not_found(group_id)
    return group


def default_group_id(session, project_id):
    return session.scalar(select(DefaultSecurityGroup.security_group_id)
                          .where(DefaultSecurityGroup.project_id == project_id))


def ensure_default(session, project_id):
    """The id of the project's default group, made now if it has none. Not refused by
    quota (the service makes it), but it counts toward the project's groups and rules."""
    group_id = default_group_id(session, project_id)
    if group_id is not None:
        return group_id
    group = SecurityGroup(project_id=project_id, name=DEFAULT_NAME,
                          description=DEFAULT_DESCRIPTION, stateful=True)
    session.add(group)
    session.flush()
    group.rules = _egress_rules(project_id) + [
        SecurityGroupRule(project_id=project_id, direction="ingress", ethertype=ethertype,
                          remote_group_id=group.id, description="")
        for ethertype in sg_rules.ETHERTYPES]
    session.add(DefaultSecurityGroup(project_id=project_id, security_group_id=group.id))
    session.flush()
    return group.id


def is_default(session, group):
    return default_group_id(session, group.project_id) == group.id


def in_use(session, group_id):
    return session.scalar(select(exists().where(
        PortSecurityGroup.security_group_id == group_id)))


# --- ports' groups ----------------------------------------------------------------

def set_port_groups(session, port, group_ids, port_security_enabled, creating):
    """Give ``port`` the groups ``group_ids`` (None: the project's default on create,
    unchanged on update), checking them as Neutron does: each of the port's project,
    all stateful or all stateless, none when port security is off."""
    if group_ids is None:
        if not creating:
            group_ids = port.security_group_ids
        elif port_security_enabled and not port.device_owner.startswith("network:"):
            group_ids = [ensure_default(session, port.project_id)]
        else:
            group_ids = []
    if group_ids and not port_security_enabled:
        if creating or not port.security_group_ids:
            raise errors.BadRequest("Port security must be enabled and port must have an "
                                    "IP address in order to use security groups.",
                                    "PortSecurityAndIPRequiredForSecurityGroups")
        raise errors.Conflict("Port has security group associated. Cannot disable port "
                              "security or IP address until security group is removed.",
                              "PortSecurityPortHasSecurityGroup")
    groups = []
    for group_id in group_ids:
        group = session.get(SecurityGroup, group_id)
        if group is None or group.project_id != port.project_id:
            raise group_not_found(group_id)
        groups.append(group)
    if len({group.stateful for group in groups}) > 1:
        raise errors.BadRequest("Cannot apply both stateful and stateless security groups "
                                "on the same port at the same time.",
                                "StatefulSecurityGroupsMixed")
    port.security_group_bindings = [PortSecurityGroup(security_group_id=group.id)
                                    for group in groups]


class SecurityGroupOperations:
    """``run(work)``: the network core's transaction runner (retries on races)."""

    def __init__(self, run, conf):
        self.run = run
        self.conf = conf

    # --- groups ---------------------------------------------------------------------

    def list_groups(self, scope, project_id, ids=None):
        """The groups the caller may see (only ``ids`` when given: compute's server views
        ask a few by ID), its project's default made first."""
        def work(session):
            if project_id:
                ensure_default(session, project_id)
            query = _visible_groups(scope)
            if ids is not None:
                query = query.where(SecurityGroup.id.in_(ids))
            return list(session.scalars(query.order_by(SecurityGroup.created_at,
                                                       SecurityGroup.id)))
        return self.run(work)

    def get_group(self, group_id, scope):
        return self.run(lambda session: get_group(session, group_id, scope))

    def default_ids(self, project_ids):
        """{project id: its default group's id} for those that have one."""
        def work(session):
            return dict(session.execute(select(DefaultSecurityGroup.project_id,
                                               DefaultSecurityGroup.security_group_id)
                                        .where(DefaultSecurityGroup.project_id
                                               .in_(list(project_ids)))).all())
        return self.run(work)

    def create_group(self, project_id, *, name="", description="", stateful=True):
        if name == DEFAULT_NAME:
            raise errors.Conflict("Default security group already exists.",
                                  "SecurityGroupDefaultAlreadyExists")

        def work(session):
            ensure_default(session, project_id)
            quotas.check_room(session, self.conf, project_id, "security_group")
            quotas.check_room(session, self.conf, project_id, "security_group_rule",
                              len(sg_rules.ETHERTYPES))
            group = SecurityGroup(project_id=project_id, name=name,
                                  description=description, stateful=stateful,
                                  rules=_egress_rules(project_id))
            session.add(group)
            session.flush()
            return group
        return self.run(work)

    def update_group(self, group_id, scope, changes):
        """``changes``: name, description, stateful."""
        def work(session):
            group = get_group(session, group_id, scope)
            if "name" in changes and changes["name"] != group.name:
                if is_default(session, group):
                    raise errors.Conflict("Updating default security group not allowed.",
                                          "SecurityGroupCannotUpdateDefault")
                if changes["name"] == DEFAULT_NAME:
                    raise errors.Conflict("Default security group already exists.",
                                          "SecurityGroupDefaultAlreadyExists")
            if ("stateful" in changes and changes["stateful"] != group.stateful
                    and in_use(session, group.id)):
                raise errors.Conflict(f"Security Group {group.id} in use: its stateful "
                                      f"attribute cannot change while ports use it.",
                                      "SecurityGroupInUse")
            for key, value in changes.items():
                setattr(group, key, value)
            group.revision_number += 1
            session.flush()
            return group
        return self.run(work)

    def delete_group(self, group_id, scope, is_admin):
        def work(session):
            group = get_group(session, group_id, scope)
            if is_default(session, group) and not is_admin:
                raise errors.Conflict("Insufficient rights for removing default security "
                                      "group.", "SecurityGroupCannotRemoveDefault")
            if in_use(session, group.id):
                raise errors.Conflict(f"Security Group {group.id} in use.",
                                      "SecurityGroupInUse")
            for rule in session.scalars(select(SecurityGroupRule).where(
                    SecurityGroupRule.remote_group_id == group.id)):
                session.delete(rule)
            session.execute(DefaultSecurityGroup.__table__.delete().where(
                DefaultSecurityGroup.security_group_id == group.id))
            session.delete(group)
        self.run(work)

    # --- rules ----------------------------------------------------------------------

    def list_rules(self, scope):
        def work(session):
            return list(session.scalars(_visible_rules(scope).order_by(
                SecurityGroupRule.created_at, SecurityGroupRule.id)))
        return self.run(work)

    def get_rule(self, rule_id, scope):
        def work(session):
            rule = session.scalars(_visible_rules(scope)
                                   .where(SecurityGroupRule.id == rule_id)).first()
            if rule is None:
                raise rule_not_found(rule_id)
            return rule
        return self.run(work)

    def create_rule(self, scope, security_group_id, values, description=""):
        """``values``: converted RULE_FIELDS (missing ones None, ethertype IPv4)."""
        rule = {field: values.get(field) for field in RULE_FIELDS}
        rule["ethertype"] = rule["ethertype"] or "IPv4"
        sg_rules.check(rule)

        def work(session):
            group = get_group(session, security_group_id, scope)
            if rule["remote_group_id"] is not None:
                get_group(session, rule["remote_group_id"], scope)
            for existing in group.rules:
                if sg_rules.same_rule(rule, {f: getattr(existing, f) for f in RULE_FIELDS}):
                    raise errors.Conflict(f"Security group rule already exists. Rule id "
                                          f"is {existing.id}.", "SecurityGroupRuleExists")
            quotas.check_room(session, self.conf, group.project_id, "security_group_rule")
            row = SecurityGroupRule(project_id=group.project_id, security_group_id=group.id,
                                    description=description, **rule)
            session.add(row)
            group.revision_number += 1
            session.flush()
            return row
        return self.run(work)

    def delete_rule(self, rule_id, scope):
        def work(session):
            rule = session.scalars(_visible_rules(scope)
                                   .where(SecurityGroupRule.id == rule_id)).first()
            if rule is None:
                raise rule_not_found(rule_id)
            rule.security_group.revision_number += 1
            session.delete(rule)
        self.run(work)
