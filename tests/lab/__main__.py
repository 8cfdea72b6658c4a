"""Command line of the local lab.

    python -m tests.lab run [-i INVENTORY ...] [--quiet] -- COMMAND [ARG ...]
        Start the lab for the tenants of INVENTORY (default inventories/sample), run COMMAND in it, stop the lab.
        Exits with COMMAND's exit code.

    python -m tests.lab verify [--limit HOST,...] [--expect present|absent] [--delete-vault]
        Inside a running lab (TENANTDR_LAB set): read vCenter (pyVmomi) and Azure (ARM REST) and check that each
        tenant is onboarded (present) or offboarded (absent). Prints one line per check; exit 1 on a failed check.

Run from the repository root with the checkout's Python (. scripts/env.sh), for example:

    python -m tests.lab run -- ansible-playbook tenantdr.asr.onboard_tenant
    python -m tests.lab run -- molecule test --all
"""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lab", description=__doc__.split("\n\n", maxsplit=1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)

    run = sub.add_parser("run", help="start the lab, run a command in it, stop the lab")
    run.add_argument("-i", "--inventory", action="append", help="base inventory (repeatable; default inventories/sample)")
    run.add_argument("--workdir", help="lab directory (default .build/lab)")
    run.add_argument("--delay-ms", type=int, default=0, help="latency added to every vCenter SOAP call")
    run.add_argument("-q", "--quiet", action="store_true", help="no lab messages on stderr")
    run.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")

    verify = sub.add_parser("verify", help="check vCenter and Azure state of the tenants (inside a running lab)")
    verify.add_argument("-l", "--limit", help="comma-separated tenant hosts or topology groups (default: all tenants)")
    verify.add_argument("--expect", choices=["present", "absent"], default="present")
    verify.add_argument("--delete-vault", action="store_true", help="with --expect absent: the vault must be gone too")
    verify.add_argument("--keep-role", action="store_true",
                        help="with --expect absent: the DR role must still exist (MSP: never deleted unless asked)")
    verify.add_argument("--extra-privilege", action="append", default=[],
                        help="privilege id the DR role must still hold (a customer's own addition, MSP)")
    verify.add_argument("--placement", choices=["exact", "domain"],
                        help="plan to check the permissions against (default: each tenant's tenant_placement, else "
                             "tests.lab.verify.DEFAULT_PLACEMENT)")

    args = parser.parse_args(argv)
    if args.action == "run":
        from tests.lab.lab import DEFAULT_INVENTORIES, DEFAULT_WORKDIR, run_in_lab  # pylint: disable=import-outside-toplevel
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("run: give the command after --")
        return run_in_lab(command, inventories=args.inventory or DEFAULT_INVENTORIES, workdir=args.workdir or DEFAULT_WORKDIR,
                          quiet=args.quiet, delay_ms=args.delay_ms)
    from tests.lab.verify import verify_main  # pylint: disable=import-outside-toplevel
    return verify_main(args)


if __name__ == "__main__":
    sys.exit(main())
