"""Tokens of the service user ([service_credentials]) a service acts as when no request
of a user covers the act: the agents (binding ports, syncing routers) and the network
service (telling compute of port changes). keystoneauth fetches and renews them."""
import logging

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from conf.api import public_url

LOG = logging.getLogger(__name__)


class ServiceCredentials:
    def __init__(self, conf):
        creds = conf.service_credentials
        auth = v3.Password(auth_url=creds.auth_url or public_url(conf) + "/identity/v3",
                           username=creds.username, password=creds.password,
                           project_name=creds.project_name,
                           user_domain_name=creds.user_domain_name,
                           project_domain_name=creds.project_domain_name)
        self.session = ks_session.Session(auth=auth, timeout=conf.compute.service_timeout)

    @classmethod
    def from_conf(cls, conf):
        """The credentials, or None when none are configured."""
        creds = conf.service_credentials
        return cls(conf) if creds.username and creds.password else None

    def token(self):
        """A valid token, or None (logged) when Identity cannot give one now."""
        try:
            return self.session.get_token()
        except ks_exceptions.ClientException as exc:
            LOG.warning("No token for the service user: %s", exc)
            return None
