"""Domain events and schedules: the stage's bus, the schedule group, the role EventBridge Scheduler assumes,
and the dead-letter queues of whatever the stream, a bus rule or a schedule could not deliver."""

from __future__ import annotations

from aws_cdk import Aws, Duration, aws_events as events, aws_iam as iam, aws_scheduler as scheduler, aws_sqs as sqs
from constructs import Construct

from ..functions import FunctionSpec, dead_letter_queues, scheduled_function
from ..stages import SERVICE, Stage
from . import checkov, nag
from .base import Concern


class Events(Concern):
    """The bus (archived for a year in prod), the schedule group, one dead-letter queue per function trigger
    that has one (infra/functions.py), and the scheduler's role: it may invoke the scheduled function only."""

    def __init__(
        self, scope: Construct, construct_id: str, *, stage: Stage, functions: tuple[FunctionSpec, ...]
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(
            self,
            "DomainEvents",
            event_bus_name=f"{stage.prefix}-events",
            description=f"{SERVICE} {stage.name} domain events",
        )
        if stage.production:
            self.bus.archive(
                "DomainEventsArchive",
                archive_name=f"{stage.prefix}-events",
                description="Replayable copy of every domain event",
                event_pattern=events.EventPattern(account=[Aws.ACCOUNT_ID]),
                retention=Duration.days(365),
            )
        self.schedule_group = scheduler.CfnScheduleGroup(self, "Schedules", name=stage.prefix)

        # ---- dead-letter queues: what could not be delivered (or handled) stays 14 days, and alarms
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for construct_id_, spec in dead_letter_queues(functions).items():
            queue = sqs.Queue(
                self,
                construct_id_,
                queue_name=f"{stage.prefix}-{spec.name}",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=Duration.days(14),
            )
            nag.suppress(
                queue,
                (
                    "AwsSolutions-SQS3",
                    f"This queue is itself a dead-letter queue ({spec.what}); "
                    "what lands here is kept 14 days for an operator and alarms "
                    "on arrival.",
                ),
            )
            checkov.skip(
                queue,
                (
                    "CKV_AWS_27",
                    "Encrypted at rest with SSE-SQS (SqsManagedSseEnabled), which checkov "
                    "does not read: it looks for a KMS key (KmsMasterKeyId) only",
                ),
            )
            self.dead_letter_queues[construct_id_] = queue

        # ---- the role EventBridge Scheduler assumes for the one-time schedules the API creates
        scheduled = scheduled_function(functions)
        self.scheduled_name = f"{stage.prefix}-{scheduled.name}"
        # built from the name, not read from the function: every function (this one too) is told this ARN
        self.scheduled_arn = f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:{self.scheduled_name}"
        self.schedule_dlq = self.dlq(scheduled)
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            description=f"{SERVICE} {stage.name}: EventBridge Scheduler invoking promotions",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
            ),
        )
        self.scheduler_role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokePromotions",
                actions=["lambda:InvokeFunction"],
                resources=[self.scheduled_arn, f"{self.scheduled_arn}:*"],
            )
        )
        self.scheduler_role.add_to_policy(
            iam.PolicyStatement(sid="DeadLetters", actions=["sqs:SendMessage"], resources=[self.schedule_dlq.queue_arn])
        )
        nag.suppress(
            self.scheduler_role,
            (
                "AwsSolutions-IAM5",
                "The promotions function and its versions and aliases (ARN:qualifier): "
                "invoking one named function, whichever version a schedule names.",
                [
                    "Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:"
                    f"{self.scheduled_name}:*"
                ],
            ),
        )

    def dlq(self, spec: FunctionSpec) -> sqs.Queue:
        """The dead-letter queue of the function's trigger."""
        if spec.trigger.dlq is None:
            raise ValueError(f"{spec.logical_id}: its trigger has no dead-letter queue")
        return self.dead_letter_queues[spec.trigger.dlq.construct_id]
