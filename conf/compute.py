"""Options of the compute API and of the build flow the conductor runs ([compute])."""
from oslo_config import cfg

GROUP = "compute"

compute_opts = [
    cfg.StrOpt("default_availability_zone", default="nova",
               help="Availability zone of hosts that name none, and of servers created "
                    "without one."),
    cfg.IntOpt("build_timeout", default=300, min=10,
               help="Seconds a building server may go without progress before the "
                    "conductor acts: a build nobody has (its message was lost) is "
                    "scheduled again, one its host's agent never took is rescheduled, "
                    "one that stalled on its host is set to ERROR and its claim "
                    "released. A build whose host's agent is down is rescheduled at "
                    "once."),
    cfg.IntOpt("build_check_interval", default=30, min=1,
               help="How often the conductor looks for stuck builds, in seconds."),
    cfg.IntOpt("report_interval", default=10, min=1,
               help="Seconds between the conductor's heartbeats."),
    cfg.IntOpt("max_limit", default=1000, min=1,
               help="Most items a list request returns per page."),
    cfg.IntOpt("max_count", default=100, min=1,
               help="Most servers one create request may ask for (max_count)."),
    cfg.StrOpt("image_endpoint",
               help="URL of the image API (Glance v2) that validates images with the "
                    "caller's token. Default: <public_url>/image."),
    cfg.StrOpt("network_endpoint",
               help="URL of the networking API (Neutron v2) that validates networks and "
                    "creates ports. Default: <public_url>/networking."),
    cfg.StrOpt("volume_endpoint",
               help="URL of the block storage API (Cinder v3, without project) that "
                    "servers' volumes are reserved, attached and made with. Default: "
                    "<public_url>/volume/v3."),
    cfg.FloatOpt("service_timeout", default=30.0, min=1.0,
                 help="Seconds to wait for the image, network and volume services."),
    cfg.IntOpt("console_output_max_lines", default=10000, min=1,
               help="Most lines of a server's console log the API returns."),
    cfg.StrOpt("default_floating_pool", default="public",
               help="External network (name or ID) that os-floating-ips allocates from "
                    "when the request names no pool (Nova's [neutron] "
                    "default_floating_pool)."),
    cfg.BoolOpt("enable_instance_password", default=True,
                help="Whether server create and rebuild answer with the server's "
                     "adminPass (the one asked for, or a generated one), as Nova's "
                     "[api] enable_instance_password."),
    cfg.IntOpt("password_length", default=12, min=4, max=255,
               help="Length of the adminPass generated when the request gives none "
                    "(Nova's password_length)."),
    cfg.BoolOpt("allow_resize_to_same_host", default=False,
                 help="Whether a resize may keep the server on its host (the scheduler "
                      "may then choose it); a cold migration always leaves it. Nova's "
                      "option of the same name."),
    cfg.IntOpt("resize_confirm_window", default=0, min=0,
               help="Seconds after which a resized or migrated server still waiting "
                    "for its confirm or revert is confirmed by the conductor; 0: never. "
                    "Nova's option of the same name."),
    cfg.IntOpt("shelved_offload_time", default=0, min=-1, max=0,
                help="Whether a shelved server leaves its host: 0 at once (its guest "
                     "removed, its claim given back; unshelving schedules it anew), -1 "
                     "never (unshelving starts it where it is; shelveOffload frees the "
                     "host). Nova's option of the same name, without its delays."),
]


def register_opts(conf):
    conf.register_opts(compute_opts, group="compute")


def list_opts():
    return [(GROUP, compute_opts)]
