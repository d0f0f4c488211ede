"""``pocketstack config-sample``: every option, documented, as one INI file."""
import sys

from oslo_config import generator


def main(argv):
    generator.main(["--namespace", "pocketstack", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
