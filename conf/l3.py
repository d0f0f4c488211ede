"""Options of the L3 role of a host ([l3]): routers and floating IPs served by its agent."""
from oslo_config import cfg

GROUP = "l3"

l3_opts = [
    cfg.BoolOpt("enabled", default=False,
                help="Serve routers and floating IPs on this host: a qrouter- namespace "
                     "per router, with NAT in nftables (needs nft and nsenter). Enable it "
                     "on one host of the cloud (the all-in-one's agent has it)."),
    cfg.IntOpt("sync_interval", default=2, min=1,
               help="Seconds between catching this host's routers up with the network "
                    "API. Needs [service_credentials] of an admin service user."),
]


def register_opts(conf):
    conf.register_opts(l3_opts, group=GROUP)


def list_opts():
    return [(GROUP, l3_opts)]
