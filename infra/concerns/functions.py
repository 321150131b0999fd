"""The functions: the Chalice app (REST API and functions, packaged by `chalice package`, bundle stripped),
each function's name, role, environment, log group, trigger wiring, concurrency and layers from
infra/functions.py. A layer (``LAYERS``) is built here, at synthesis, by dev/package.py ``layer`` (cached by the
hash of its inputs under .local/layers/), for the stage's architecture and the CPython chalice packages for."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Mapping

from aws_cdk import (
    AssetHashType,
    Duration,
    aws_cognito as cognito,
    aws_events as events,
    aws_events_targets as targets,
    aws_lambda as lambda_,
    aws_sqs as sqs,
)
from chalice.utils import to_cfn_resource_name
from constructs import Construct

from chalicelib.events.catalogue import CONSUMERS
from dev import package

from ..api import PackagedChalice
from ..functions import (
    LAYERS,
    BusRule,
    FunctionSpec,
    Grant,
    Http,
    Layer,
    OneTimeSchedules,
    Schedule,
    TableStream,
    check,
)
from ..stages import ROOT, Stage
from . import checkov
from .base import Concern, retain, root
from .roles import Granted, function_role

# Chalice must be told a role when it does not manage one; the real role replaces this placeholder.
ROLE_PLACEHOLDER = "arn:aws:iam::000000000000:role/replaced-by-cdk"


def event_pattern(pattern: dict[str, Any]) -> events.EventPattern:
    """The catalogue's EventBridge pattern (JSON keys) as the CDK's EventPattern; an unknown key is refused."""
    fields = {
        "detail-type": "detail_type",
        "source": "source",
        "detail": "detail",
        "account": "account",
        "region": "region",
        "resources": "resources",
        "id": "id",
        "time": "time",
        "version": "version",
    }
    unknown = set(pattern) - set(fields)
    if unknown:
        raise ValueError(f"event pattern keys not supported here: {sorted(unknown)}")
    return events.EventPattern(**{fields[k]: v for k, v in pattern.items()})


NO_VPC = (
    "CKV_AWS_117",
    "Reaches only AWS endpoints (DynamoDB, EventBridge, Scheduler, Secrets Manager, SSM Parameter Store, "
    "Cognito and its public keys, SES, Athena) over TLS, authorised by its role: a VPC would add NAT or endpoints to "
    "pay for and isolate nothing",
)
NO_SECRET_IN_ENVIRONMENT = (
    "CKV_AWS_173",
    "No secret in its environment, only names, ARNs and limits (the webhook key "
    "is read from Secrets Manager at run time; tests/infra checks the names); "
    "Lambda encrypts it at rest with its AWS managed key",
)
NO_RESERVED_CONCURRENCY = "No reserved concurrency (its row in infra/functions.py has no concurrency_context)"


def checkov_skips(spec: FunctionSpec, reserved: bool) -> list[tuple[str, str]]:
    """checkov's Lambda checks this function does not meet by decision, each with its reason (by its trigger)."""
    trigger = spec.trigger
    skips = [NO_VPC, NO_SECRET_IN_ENVIRONMENT]
    if isinstance(trigger, Http):
        dlq = (
            "Invoked synchronously by API Gateway: a failure is the caller's response; a dead-letter queue only "
            "receives failed asynchronous invocations"
        )
        opt_in = (
            f"Reserved concurrency is opt-in per stage (context {spec.concurrency_context}): an account whose "
            "quota is still 10 cannot reserve any"
            if spec.concurrency_context
            else NO_RESERVED_CONCURRENCY
        )
        concurrency = f"{opt_in}; the stage's API Gateway throttling bounds it"
    elif isinstance(trigger, Schedule):
        dlq = (
            f"Started by its schedule ({trigger.expression}) with an event that holds only the time: a failed run "
            "raises its Errors alarm and the next run takes up the same work; a dead letter holds nothing to replay"
        )
        concurrency = f"{NO_RESERVED_CONCURRENCY}: its schedule ({trigger.expression}) starts one run at a time"
    elif isinstance(trigger, TableStream):
        dlq = (
            f"Invoked synchronously by its stream mapping: a batch it fails on goes to the mapping's on-failure "
            f"destination ({trigger.dlq.construct_id}), which DeadLetterConfig does not cover"
        )
        concurrency = f"{NO_RESERVED_CONCURRENCY}: its stream mapping runs one batch per shard at a time"
    elif isinstance(trigger, (BusRule, OneTimeSchedules)):
        dlq = (
            f"Its asynchronous failures go to Lambda's on-failure destination ({trigger.dlq.construct_id}, "
            "EventInvokeConfig, which checkov does not read): it records the error with the event"
        )
        concurrency = (
            f"{NO_RESERVED_CONCURRENCY}: invoked asynchronously, and a throttled asynchronous "
            "invocation is retried by Lambda, not lost"
        )
    else:  # pragma: no cover - a new trigger without its reasons
        raise ValueError(f"{spec.logical_id}: no checkov reasons for {trigger}")
    skips.append(("CKV_AWS_116", dlq))
    if not reserved:
        skips.append(("CKV_AWS_115", concurrency))
    return skips


class Functions(Concern):
    """Every row of ``functions``: its role, and its part of the packaged app told its name, role and environment."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: Stage,
        functions: tuple[FunctionSpec, ...],
        granted: Granted,
        client: cognito.IUserPoolClient,
        work_dir: Path,
        reserved_concurrency: Mapping[str, int] | None = None,
        public_api_url: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        check(functions, CONSUMERS)
        self.stage = stage
        self.specs = functions
        self.roles = {spec.logical_id: function_role(self, stage, spec, granted) for spec in functions}

        with contextlib.chdir(work_dir):  # the construct writes its chalice.out/ into the working directory
            self.app = PackagedChalice(
                self,
                "App",
                stage_name=stage.name,
                source_dir=str(ROOT),
                stage_config={
                    "manage_iam_role": False,
                    "iam_role_arn": ROLE_PLACEHOLDER,
                    "log_retention_in_days": stage.log_retention_days,
                },
            )
        bus = granted.events
        environment = {
            "LEDGER_TABLE": granted.table.table.ref,
            "COGNITO_USER_POOL_ID": granted.user_pool.user_pool_id,
            "COGNITO_APP_CLIENT_ID": client.user_pool_client_id,
            # the web client's ids, by the parameter's literal name (its role may read it, infra/concerns/roles.py):
            # the client itself names the distribution in front of these functions
            "COGNITO_WEB_CLIENT_PARAMETER": stage.web_client_parameter_name,
            "PAYMENT_WEBHOOK_SECRET_NAME": stage.webhook_secret_name,
            "UNSUBSCRIBE_SECRET_NAME": stage.unsubscribe_secret_name,
            "EVENT_BUS_NAME": bus.bus.event_bus_name,
            "SCHEDULE_GROUP": stage.prefix,
            "SCHEDULER_ROLE_ARN": bus.scheduler_role.role_arn,
            "PROMOTIONS_FUNCTION_ARN": bus.scheduled_arn,
            "SCHEDULE_DLQ_ARN": bus.schedule_dlq.queue_arn,
            "SES_SENDER": granted.ses_sender or "",
            # marketing e-mail's unsubscribe link (a stage with its own domain; without one, campaigns send none:
            # the distribution's generated name is not known before the functions it fronts)
            "PUBLIC_API_URL": public_api_url,
            "LEDGER_STREAM_ARN": granted.table.stream_arn,
        }
        # what a function granted the reports' queries runs them on (chalicelib/bootstrap.py analytics)
        analytics = granted.analytics
        analytics_environment = {
            "EXPORT_BUCKET": analytics.bucket.bucket_name,
            "ANALYTICS_DATABASE": analytics.database.ref,
            "ANALYTICS_WORKGROUP": analytics.workgroup.ref,
        }
        # logical id (chalice package) -> deployed name
        self.names = {spec.logical_id: f"{stage.prefix}-{spec.name}" for spec in functions}
        used = sorted({name for spec in functions for name in spec.layers})
        self.layers = {name: self._layer(LAYERS[name], [s for s in functions if name in s.layers]) for name in used}
        for spec in functions:
            role, name = self.roles[spec.logical_id], self.names[spec.logical_id]
            fn = self.app.get_resource(spec.logical_id)
            fn.add_property_override("FunctionName", name)
            fn.add_property_override("Role", role.role_arn)
            own = analytics_environment if Grant.ANALYTICS_QUERIES in spec.grants else {}
            for var, value in {**environment, **own}.items():
                fn.add_property_override(f"Environment.Variables.{var}", value)
            log_group = self.app.get_resource(f"{spec.resource_name}LogGroup")
            # chalice package names this group after a resource that does not exist (${ApiHandler})
            log_group.add_property_override("LogGroupName", f"/aws/lambda/{name}")
            log_group.apply_removal_policy(retain(stage))
            log_group.add_property_override("KmsKeyId", granted.key.key_arn)  # the key lets CloudWatch Logs use it
            fn.node.add_dependency(role.node.find_child("DefaultPolicy"))  # policy attached before it runs
            fn.node.add_dependency(log_group)  # logs never land in a group without retention

            if isinstance(spec.trigger, TableStream):
                self._stream_mapping(spec, granted)
            if isinstance(spec.trigger, BusRule):
                self._bus_rule(spec, bus.bus, bus.dlq(spec))
            if spec.trigger.asynchronous:
                # EventBridge and Scheduler invoke asynchronously: their dead-letter queues catch what was not
                # delivered, and Lambda's own on-failure destination (same queue) what the function failed on.
                self._on_async_failure(spec, bus.dlq(spec))
            if spec.layers:
                fn.add_property_override("Layers", [self.layers[name].layer_version_arn for name in spec.layers])
            if (reserved_concurrency or {}).get(spec.logical_id):
                # A hard cap on the function's share of the account's Lambda concurrency (for the API, on top of
                # the stage throttling). Opt-in: an account whose quota is still 10 cannot reserve any.
                fn.add_property_override("ReservedConcurrentExecutions", reserved_concurrency[spec.logical_id])
            checkov.skip(fn, *checkov_skips(spec, bool((reserved_concurrency or {}).get(spec.logical_id))))

    def _sam(self) -> dict[str, Any]:
        return json.loads((Path(self.app._sam_package_dir) / "sam.json").read_text())

    def _layer(self, layer: Layer, specs: list[FunctionSpec]) -> lambda_.LayerVersion:
        """The layer, built (or found built) for the architecture and runtime chalice packaged its functions
        for; refused when it and the bundle would unpack to more than Lambda takes."""
        sam = self._sam()["Resources"]
        packaged = {
            (sam[s.logical_id]["Properties"]["Runtime"], *sam[s.logical_id]["Properties"]["Architectures"])
            for s in specs
        }
        if len(packaged) != 1:
            raise ValueError(f"layer {layer.name}: its functions run on different runtimes or CPUs: {packaged}")
        [(runtime, architecture)] = packaged
        if runtime != f"python{package.LAYER_PYTHON}":
            raise ValueError(
                f"layer {layer.name} is built for CPython {package.LAYER_PYTHON}, its functions run {runtime}"
            )
        built = package.layer(ROOT / layer.requirements, architecture)
        unzipped = package.folder_size(built / "python") + package.unzipped_size(
            Path(self.app._sam_package_dir) / "deployment.zip"
        )
        if unzipped > package.UNZIPPED_LIMIT:
            raise ValueError(
                f"layer {layer.name} and the bundle unpack to {unzipped / 1e6:.0f} MB, more than Lambda's "
                f"{package.UNZIPPED_LIMIT / 1e6:.0f} MB"
            )
        return lambda_.LayerVersion(
            self,
            f"{to_cfn_resource_name(layer.name)}Layer",
            layer_version_name=f"{self.stage.prefix}-{layer.name}",
            description=f"{layer.what}: {layer.requirements}",
            # the build's name is the hash of its inputs: CDK need not read its 140 MB to know it
            code=lambda_.Code.from_asset(str(built), asset_hash=built.name, asset_hash_type=AssetHashType.CUSTOM),
            compatible_runtimes=[lambda_.Runtime(runtime, lambda_.RuntimeFamily.PYTHON)],
            compatible_architectures=[
                {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}[architecture]
            ],
        )

    def _stream_mapping(self, spec: FunctionSpec, granted: Granted) -> None:
        """The event source mapping (SAM event of `chalice package`) on the real stream: partial batch failures,
        a poisoned record isolated by bisecting, bounded retries, then a note in the dead-letter queue."""
        events_ = self._sam()["Resources"][spec.logical_id]["Properties"]["Events"]
        [source] = [name for name, e in events_.items() if e["Type"] == "DynamoDB"]
        fn = self.app.get_resource(spec.logical_id)
        for prop, value in {
            "Stream": granted.table.stream_arn,
            "StartingPosition": "TRIM_HORIZON",
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 10,
            "MaximumRecordAgeInSeconds": 86400,  # the stream keeps records 24 hours anyway
            "DestinationConfig": {"OnFailure": {"Destination": granted.events.dlq(spec).queue_arn}},
        }.items():
            fn.add_property_override(f"Events.{source}.Properties.{prop}", value)

    def _on_async_failure(self, spec: FunctionSpec, dlq: sqs.IQueue) -> None:
        """Lambda retries a failed asynchronous invocation twice, then records it in the queue (with the
        function's role, which may send there) instead of dropping it."""
        self.app.get_resource(spec.logical_id).add_property_override(
            "EventInvokeConfig",
            {
                "MaximumRetryAttempts": 2,
                "MaximumEventAgeInSeconds": 6 * 3600,
                "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": dlq.queue_arn}},
            },
        )

    def _bus_rule(self, spec: FunctionSpec, bus: events.IEventBus, dlq: sqs.IQueue) -> None:
        """The consumer's rule on the stage's bus, with the catalogue's pattern and the function as target.
        Rule and function handle at the stack's root: EventBridge names the rule's permission and the queue
        policy's statement after their paths (infra/concerns/base.py)."""
        consumer = spec.trigger.consumer
        construct_id = to_cfn_resource_name(consumer)
        function = lambda_.Function.from_function_attributes(
            root(self),
            f"{construct_id}Function",
            same_environment=True,
            function_arn=self.app.get_resource(spec.logical_id).get_att("Arn").to_string(),
        )
        events.Rule(
            root(self),
            f"{construct_id}Rule",
            rule_name=f"{self.stage.prefix}-{consumer.replace('_', '-')}",
            event_bus=bus,
            event_pattern=event_pattern(CONSUMERS[consumer]),
            description=f"Domain events for {self.names[spec.logical_id]} (chalicelib.events.catalogue.CONSUMERS)",
            targets=[
                targets.LambdaFunction(
                    function, dead_letter_queue=dlq, retry_attempts=10, max_event_age=Duration.hours(6)
                )
            ],
        )
