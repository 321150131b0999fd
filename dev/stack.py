"""Start, provision and stop the local stack. Used by `make run`, `make token`, the tests and the benchmarks.

Processes: a serialized moto server (DynamoDB + Cognito) and `chalice local`.
Provisioning: the ledger table from its single definition, a Cognito user pool
with an app client and the groups, then demo data through the HTTP API itself.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.config import LOCAL_UNSUBSCRIBE_SECRET, LOCAL_WEBHOOK_SECRET

ROOT = Path(__file__).resolve().parent.parent
STATE_FILE = ROOT / ".local" / "stack.json"
REGION = "us-east-1"
TABLE = "balance-ledger-local"
PASSWORD = "Local-Passw0rd!"  # local user pool only  # nosec B105 - the local user pool's demo password
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,  # nosec B105 B106 - moto's fixed test credentials
    "AWS_REGION": REGION,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).read()  # nosec B310 - the local stack's own http URL
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@dataclass
class StackInfo:
    aws_endpoint: str
    api_url: str
    user_pool_id: str
    client_id: str
    region: str = REGION
    table: str = TABLE
    log_dir: str = ""  # where the processes write their output
    # the payment webhook's HMAC secret the app checks: PAYMENT_WEBHOOK_SECRET where set, else the local default
    webhook_secret: str = LOCAL_WEBHOOK_SECRET
    lifecycle_env: dict = field(default_factory=dict)  # the bus, schedule group, SES sender, stream (moto)
    # the marketing e-mails' unsubscribe tokens' HMAC secret: UNSUBSCRIBE_SECRET where set, else the local default
    unsubscribe_secret: str = LOCAL_UNSUBSCRIBE_SECRET

    def save(self, path: Path = STATE_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)  # it holds the webhook secret: readable by its owner only
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path = STATE_FILE) -> "StackInfo":
        if not path.exists():
            raise SystemExit("the local stack is not running: start it with `make run`")
        return cls(**json.loads(path.read_text()))


def aws_client(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )  # nosec B105 B106 - moto's fixed test credentials


def create_table(endpoint: str, table: str = TABLE) -> None:
    """Create the ledger table from its one definition (chalicelib.store.models.table_definition)."""
    os.environ.setdefault("LEDGER_TABLE", table)
    from chalicelib.store.models import table_definition

    definition = table_definition()
    ttl_attribute = definition.pop("TimeToLiveAttribute")
    definition["TableName"] = table
    ddb = aws_client("dynamodb", endpoint)
    ddb.create_table(**definition)
    ddb.get_waiter("table_exists").wait(TableName=table)
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute})


LOCAL_BUS = "store-balance-local-events"
LOCAL_SCHEDULE_GROUP = "store-balance-local"
LOCAL_SENDER = "noreply@store-balance.local"
LOCAL_ACCOUNT = "123456789012"  # moto's account


def local_function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{LOCAL_ACCOUNT}:function:store-balance-local-{name}"


def consumer_queue(name: str) -> str:
    """The SQS queue that stands in, locally, for the Lambda target of the bus rule ``name``."""
    return f"store-balance-local-{name}-target"


def consumer_dlq(name: str) -> str:
    return f"store-balance-local-{name}-dlq"


def publisher_dlq() -> str:
    return "store-balance-local-publish-events-dlq"


ALL_EVENTS_QUEUE = "store-balance-local-all-events"
EXPORT_QUEUE = "store-balance-local-export-target"  # stands in for the export rule's Firehose target
EXPORT_BUCKET = "store-balance-local-export"
EXPORT_STREAM = "store-balance-local-export"  # the name the objects carry, as Firehose names them
DELIVERY_ATTEMPTS = 3  # receives of an event before it goes to the consumer's dead-letter queue


def create_lifecycle_resources(endpoint: str, table: str = TABLE) -> dict[str, str]:
    """What the event-driven side needs in moto: the bus with one rule per consumer (each rule's target an
    SQS queue that dev/lifecycle.py drains into the consumer function, as Lambda's async invoke would), the
    schedule group, the SES sender identity. Returns the app's environment for them."""
    from chalicelib.events.catalogue import CONSUMERS

    events, sqs = aws_client("events", endpoint), aws_client("sqs", endpoint)
    events.create_event_bus(Name=LOCAL_BUS)
    sqs.create_queue(QueueName=publisher_dlq())

    def queue_arn(url: str) -> str:
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    for name, pattern in CONSUMERS.items():
        dlq = queue_arn(sqs.create_queue(QueueName=consumer_dlq(name))["QueueUrl"])
        url = sqs.create_queue(
            QueueName=consumer_queue(name),
            Attributes={
                "VisibilityTimeout": "2",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq, "maxReceiveCount": DELIVERY_ATTEMPTS}),
            },
        )["QueueUrl"]
        arn = queue_arn(url)
        events.put_rule(Name=f"store-balance-local-{name}", EventBusName=LOCAL_BUS, EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule=f"store-balance-local-{name}", EventBusName=LOCAL_BUS, Targets=[{"Id": name, "Arn": arn}]
        )
    # every event is also copied to one queue a developer (or the catalogue test) can read
    from chalicelib.events.catalogue import SOURCE

    events.put_rule(
        Name="store-balance-local-all", EventBusName=LOCAL_BUS, EventPattern=json.dumps({"source": [SOURCE]})
    )
    events.put_targets(
        Rule="store-balance-local-all",
        EventBusName=LOCAL_BUS,
        Targets=[{"Id": "all", "Arn": queue_arn(sqs.create_queue(QueueName=ALL_EVENTS_QUEUE)["QueueUrl"])}],
    )
    # the analytics export: on AWS a rule with a Firehose target (moto's EventBridge cannot deliver to one), here
    # a queue that dev/lifecycle.py ExportDelivery writes into moto's S3 under Firehose's key layout
    from chalicelib.events.catalogue import EXPORT_PATTERN

    events.put_rule(Name="store-balance-local-export", EventBusName=LOCAL_BUS, EventPattern=json.dumps(EXPORT_PATTERN))
    events.put_targets(
        Rule="store-balance-local-export",
        EventBusName=LOCAL_BUS,
        Targets=[{"Id": "export", "Arn": queue_arn(sqs.create_queue(QueueName=EXPORT_QUEUE)["QueueUrl"])}],
    )
    aws_client("s3", endpoint).create_bucket(Bucket=EXPORT_BUCKET)
    aws_client("scheduler", endpoint).create_schedule_group(Name=LOCAL_SCHEDULE_GROUP)
    aws_client("ses", endpoint).verify_email_identity(EmailAddress=LOCAL_SENDER)
    stream_arn = aws_client("dynamodb", endpoint).describe_table(TableName=table)["Table"]["LatestStreamArn"]
    return {
        "AWS_ENDPOINT": endpoint,
        "EVENT_BUS_NAME": LOCAL_BUS,
        "SCHEDULE_GROUP": LOCAL_SCHEDULE_GROUP,
        "SCHEDULER_ROLE_ARN": f"arn:aws:iam::{LOCAL_ACCOUNT}:role/store-balance-local-scheduler",
        "PROMOTIONS_FUNCTION_ARN": local_function_arn("promotions"),
        "SES_SENDER": LOCAL_SENDER,
        "LEDGER_STREAM_ARN": stream_arn,
        "EXPORT_BUCKET": EXPORT_BUCKET,
    }


def create_user_pool(endpoint: str) -> tuple[str, str]:
    idp = aws_client("cognito-idp", endpoint)
    pool = idp.create_user_pool(PoolName="store-balance-local")["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool,
        ClientName="store-balance-local",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for group in ("admin", "service"):
        idp.create_group(UserPoolId=pool, GroupName=group)
    return pool, client


def issue_token(info: StackInfo, username: str, groups: list[str] | tuple[str, ...] | None = ()) -> str:
    """A real ID token signed by the local user pool; the user and groups are created on first use.

    ``groups`` become exactly the user's groups; None leaves the groups it has.
    """
    idp = aws_client("cognito-idp", info.aws_endpoint)
    try:
        idp.admin_get_user(UserPoolId=info.user_pool_id, Username=username)
    except idp.exceptions.UserNotFoundException:
        idp.admin_create_user(UserPoolId=info.user_pool_id, Username=username, MessageAction="SUPPRESS")
        idp.admin_set_user_password(UserPoolId=info.user_pool_id, Username=username, Password=PASSWORD, Permanent=True)
    current = {
        g["GroupName"]
        for g in idp.admin_list_groups_for_user(UserPoolId=info.user_pool_id, Username=username)["Groups"]
    }
    groups = current if groups is None else set(groups)
    for group in groups - current:
        try:
            idp.create_group(UserPoolId=info.user_pool_id, GroupName=group)
        except idp.exceptions.GroupExistsException:
            pass
        idp.admin_add_user_to_group(UserPoolId=info.user_pool_id, Username=username, GroupName=group)
    for group in current - groups:
        idp.admin_remove_user_from_group(UserPoolId=info.user_pool_id, Username=username, GroupName=group)
    auth = idp.admin_initiate_auth(
        UserPoolId=info.user_pool_id,
        ClientId=info.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return auth["AuthenticationResult"]["IdToken"]


def configured_webhook_secret(app_env: dict[str, str] | None = None) -> str:
    """The secret the local app will check: the app's own variables, then this shell's, then the default."""
    return (
        (app_env or {}).get("PAYMENT_WEBHOOK_SECRET")
        or os.environ.get("PAYMENT_WEBHOOK_SECRET")
        or LOCAL_WEBHOOK_SECRET
    )


def configured_unsubscribe_secret(app_env: dict[str, str] | None = None) -> str:
    """The unsubscribe tokens' secret the local app will use, found as the webhook's."""
    return (app_env or {}).get("UNSUBSCRIBE_SECRET") or os.environ.get("UNSUBSCRIBE_SECRET") or LOCAL_UNSUBSCRIBE_SECRET


def app_environment(info: StackInfo, extra: dict[str, str] | None = None) -> dict[str, str]:
    """What the app needs to find the local stack (chalice local adds the `local` stage's variables)."""
    return {
        **FAKE_AWS,
        "DYNAMODB_ENDPOINT": info.aws_endpoint,
        "LEDGER_TABLE": info.table,
        "COGNITO_USER_POOL_ID": info.user_pool_id,
        "COGNITO_APP_CLIENT_ID": info.client_id,
        "COGNITO_ENDPOINT": info.aws_endpoint,
        "COGNITO_JWKS_URL": f"{info.aws_endpoint}/{info.user_pool_id}/.well-known/jwks.json",
        "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
        "POWERTOOLS_METRICS_DISABLED": "false",  # EMF lines on stdout, as CloudWatch would read them
        **info.lifecycle_env,
        **(extra or {}),
        # after `extra`: the secret the stack signs with is the one the app checks, whatever was passed
        "PAYMENT_WEBHOOK_SECRET": info.webhook_secret,
        "PAYMENT_WEBHOOK_SECRET_NAME": "",  # never Secrets Manager locally  # nosec B105 - an empty name, no secret
        "UNSUBSCRIBE_SECRET": info.unsubscribe_secret,
        "UNSUBSCRIBE_SECRET_NAME": "",  # nosec B105 - an empty name, no secret
        # the unsubscribe links of marketing e-mail point at the local API
        "PUBLIC_API_URL": info.api_url,
    }


class LocalStack:
    """The moto server and chalice local as child processes; stop() ends both."""

    def __init__(
        self,
        aws_port: int | None = None,
        api_port: int | None = None,
        app_env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        lifecycle: bool = True,
    ) -> None:
        self.aws_port = aws_port or free_port()
        self.api_port = api_port or free_port()
        self.app_env = app_env or {}
        self.log_dir = log_dir or ROOT / ".local" / "logs"
        self.procs: list[subprocess.Popen] = []
        self.info: StackInfo | None = None
        # the event-driven side (dev/lifecycle.py); off only for benchmarks that measure the API alone
        self.lifecycle = lifecycle

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def _wait(self, name: str, url: str, proc: subprocess.Popen) -> None:
        """Wait for ``url`` to answer; if the process dies first, say so with the last line it logged."""
        try:
            wait_http(url, proc=proc)
        except RuntimeError as exc:
            lines = [
                line for line in (self.log_dir / f"{name}.log").read_text(errors="replace").splitlines() if line.strip()
            ]
            raise RuntimeError(
                f"{name} exited with {proc.returncode}: {lines[-1].strip() if lines else 'no output'}"
            ) from exc

    def start(self) -> StackInfo:
        base_env = {**os.environ, **FAKE_AWS, "PYTHONUNBUFFERED": "1"}
        aws = f"http://127.0.0.1:{self.aws_port}"
        moto = self._spawn("moto", [sys.executable, "-m", "dev.moto_server", str(self.aws_port)], base_env)
        self._wait("moto", f"{aws}/moto-api/", moto)
        create_table(aws)
        lifecycle_env = create_lifecycle_resources(aws)
        pool, client = create_user_pool(aws)
        self.info = StackInfo(
            aws_endpoint=aws,
            api_url=f"http://127.0.0.1:{self.api_port}",
            user_pool_id=pool,
            client_id=client,
            log_dir=str(self.log_dir),
            webhook_secret=configured_webhook_secret(self.app_env),
            unsubscribe_secret=configured_unsubscribe_secret(self.app_env),
            lifecycle_env=lifecycle_env,
        )
        api = self._spawn(
            "chalice",
            [
                sys.executable,
                "-m",
                "dev.chalice_local",
                "local",
                "--stage",
                "local",
                "--port",
                str(self.api_port),
                "--no-autoreload",
            ],
            {**base_env, **app_environment(self.info, self.app_env)},
        )
        self._wait("chalice", f"{self.info.api_url}/v1/health", api)
        # the stream, the bus's targets and the scheduler, served to the app's event functions
        if self.lifecycle:
            self._spawn(
                "lifecycle",
                [sys.executable, "-m", "dev.lifecycle"],
                {**base_env, **app_environment(self.info, self.app_env)},
            )
        return self.info

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()
