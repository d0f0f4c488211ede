"""The service user the agents act as ([service_credentials]): bootstrap creates it,
agents bind ports and read what their users' tokens may not; the network service tells
compute of port changes with it."""
from oslo_config import cfg

GROUP = "service_credentials"

service_credentials_opts = [
    cfg.URIOpt("auth_url",
               help="Identity API (Keystone v3) the agent authenticates with. Default: "
                    "<public_url>/identity/v3."),
    cfg.StrOpt("username",
               help="The agent's service user (`pocketstack bootstrap` creates "
                    "pocketstack-agent). Unset: the agent acts only with the tokens of "
                    "the requests it serves, so it cannot clean up ports after a restart "
                    "nor refresh tunnel peers."),
    cfg.StrOpt("password", secret=True, help="Password of the service user."),
    cfg.StrOpt("project_name", default="service", help="Project of the service user."),
    cfg.StrOpt("user_domain_name", default="Default", help="Domain of the service user."),
    cfg.StrOpt("project_domain_name", default="Default",
               help="Domain of the service user's project."),
]


def register_opts(conf):
    conf.register_opts(service_credentials_opts, group="service_credentials")


def list_opts():
    return [(GROUP, service_credentials_opts)]
