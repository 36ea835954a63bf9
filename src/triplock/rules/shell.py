"""Rules on the commands scripts run: TLS verification switched off, secrets traced or echoed,
passwords passed as literal arguments. Spark settings on command lines are judged by the
spark_* rule modules."""

from __future__ import annotations

import re
from collections.abc import Iterator

from triplock.facts.shell import ShellCommand, clusters_flag
from triplock.model import Evidence, Fix, FixAction, Severity
from triplock.redact import show_command
from triplock.rules.registry import Context, Outcome, fail, passed, rule
from triplock.secret_classifier import argument_secrets, secret_key

_TLS_OFF = {
    "curl": ("-k", "--insecure"),
    "wget": ("--no-check-certificate",),
    "kubectl": ("--insecure-skip-tls-verify", "--insecure-skip-tls-verify=true"),
    "helm": ("--insecure-skip-tls-verify",),
    "pip": ("--trusted-host",),
}
_SENSITIVE_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _evidence(command: ShellCommand) -> Evidence:
    from_secrets = [i for i, arg in enumerate(command.args) if any(secret_key(r) for r in arg.refs)]
    return Evidence.of("command", show_command(command.argv, from_secrets))


@rule(
    id="SHELL-001",
    slug="shell-tls-verification-disabled",
    title="A script switches off TLS certificate verification",
    control="transit.tls",
    severity=Severity.HIGH,
    target=ShellCommand,
    rationale="curl -k, wget --no-check-certificate and --insecure-skip-tls-verify accept any "
    "certificate: anyone on the path can impersonate the server (the KMS, the API server) and read "
    "or alter what is sent, including keys and tokens.",
    remediation="Remove the switch (`triplock fix` does) and verify against the deployment's "
    "CA: curl --cacert ca.pem, wget --ca-certificate=ca.pem, kubectl "
    "--certificate-authority=ca.pem.",
    references=("https://curl.se/docs/sslcerts.html",),
)
def tls_verification_disabled(command: ShellCommand, ctx: Context) -> Iterator[Outcome]:
    switches = _TLS_OFF.get(command.program)
    if switches is None:
        return
    used = [a for a in command.args[1:] if a.text in switches or _short_flag(a.text, switches)]
    if not used:
        yield passed(f"{command.program} verifies TLS certificates", command.location)
        return
    yield fail(
        f"{command.program} runs with {used[0].text}: TLS certificates are not verified",
        command.location,
        _evidence(command),
        fix=_verify_again(command, used[0].text),
    )


def _verify_again(command: ShellCommand, used: str) -> Fix:
    """Removing the switch is exact and safe (the command then verifies against the system's
    CAs, or fails loudly), except pip's --trusted-host, which takes a host to remove too."""
    where = command.location.path
    if command.program == "pip":
        return Fix(FixAction.MANUAL, f"remove {used} HOST and trust the index's CA", path=where)
    flag = "-k" if _short_flag(used, _TLS_OFF["curl"]) else used  # -sk: the k goes
    return Fix(FixAction.UNSET, flag, path=where)


def _short_flag(text: str, switches: tuple[str, ...]) -> bool:
    """curl's combined short options: -sk, -kfsSL."""
    return "-k" in switches and clusters_flag(text, "k")


def _carries_secret(command: ShellCommand) -> bool:
    """A secret is among the arguments (literal or a reference the shell expands), or an
    argument is expanded from or names a secret variable."""
    if argument_secrets(command.argv):
        return True
    for arg in command.args[1:]:
        key, eq, _ = arg.text.partition("=")
        if eq and secret_key(key.lstrip("-")):
            return True
        if any(secret_key(name) for name in (*arg.refs, *_SENSITIVE_REFERENCE.findall(arg.text))):
            return True
    return False


@rule(
    id="SHELL-002",
    slug="shell-secret-traced",
    title="A command that carries a secret runs under `set -x`",
    control="keys.management",
    severity=Severity.HIGH,
    target=ShellCommand,
    rationale="With xtrace on, the shell prints every command after expansion to stderr, so a "
    "secret passed as $SECRET lands in container logs, CI logs and log aggregation in clear "
    "text (the BigDL PPML scripts pass --conf spark.authenticate.secret=$PW under set -x).",
    remediation="Turn tracing off around such commands (set +x), and pass secrets as files "
    "mounted from a Secret instead of arguments.",
)
def secret_traced(command: ShellCommand, ctx: Context) -> Iterator[Outcome]:
    if not _carries_secret(command):
        return
    if command.xtrace:
        yield fail(
            f"{command.program} carries a secret and `set -x` prints it with the command",
            command.location,
            _evidence(command),
            fix=Fix(
                FixAction.MANUAL, "add `set +x` before this command", path=command.location.path
            ),
        )
    else:
        yield passed(f"{command.program} carries a secret but is not traced", command.location)


@rule(
    id="SHELL-003",
    slug="shell-secret-echoed",
    title="A script prints a secret with echo or printf",
    control="keys.management",
    severity=Severity.MEDIUM,
    target=ShellCommand,
    rationale="Whatever a script echoes ends up in terminal scrollback, CI logs and container "
    "logs; a secret printed there is disclosed to everyone who reads them.",
    remediation="Do not print secrets; write them to a 0600 file or a Secret if they must be "
    "handed on.",
)
def secret_echoed(command: ShellCommand, ctx: Context) -> Iterator[Outcome]:
    if command.program not in ("echo", "printf"):
        return
    if _carries_secret(command):
        yield fail(
            f"{command.program} prints a secret-bearing value",
            command.location,
            _evidence(command),
        )


@rule(
    id="SHELL-004",
    slug="shell-literal-password-argument",
    title="A password or token is written literally on a command line",
    control="keys.management",
    severity=Severity.HIGH,
    target=ShellCommand,
    rationale="Arguments are visible to every local user (ps, /proc/PID/cmdline), are kept in "
    "shell history and in the script's repository; keytool -storepass, openssl -passout pass:, "
    "curl -u user:password and --password all expose the secret.",
    remediation="Read the secret from a file or the environment: keytool -storepass:file F, "
    "openssl -passout file:F, curl --netrc-file F, or a tool's --password-file option.",
)
def literal_password_argument(command: ShellCommand, ctx: Context) -> Iterator[Outcome]:
    if command.launches_spark:
        return  # Spark launches: the Spark rules judge their --conf settings
    literal = next((a for a in argument_secrets(command.argv) if a.literal), None)
    if literal is not None:
        yield fail(
            f"{command.program} gets a literal secret through {literal.via}",
            command.location,
            _evidence(command),
        )
