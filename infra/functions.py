"""The service's Lambda functions, one row each: what starts it, what its role may do, what alarms on it.

Everything the infrastructure decides about a function comes from its row in ``FUNCTIONS``:

* its deployed name, role and wiring (``infra/concerns/roles.py``, ``infra/concerns/functions.py``):
  the table actions on the ledger, the index queries, the extra grants, the table's key in prod, the
  stream mapping, the bus rule, Lambda's on-failure destination, the reserved concurrency, what a grant
  adds to its environment (the analytics grant: the export bucket, Glue database and Athena workgroup);
* its dead-letter queue (``infra/concerns/events.py``) and its alarms (``infra/concerns/alarms.py``);
* the IAM test (``tests/integration/test_iam_actions.py``): the code performs exactly the actions granted;
* the layers it runs with (``LAYERS``: what its code needs beyond the app's bundle, built at synthesis).

The code is chalice's: the handler and its trigger are a decorator in ``chalicelib``, memory and timeout
are in ``.chalice/config.json``. A row repeats the handler and trigger so that this table reads on its own;
``tests/infra`` checks they agree with what ``chalice package`` made. Adding a function: its handler, its
sizes, and one row here. This module imports no CDK (the integration tests read it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Iterable, Union

from chalice.utils import to_cfn_resource_name

if TYPE_CHECKING:
    from .stages import Stage

# DynamoDB's writes, which need more of the table's key than reads (TABLE_KEY_ACTIONS). In the rows,
# TransactWriteItems is authorised per item as PutItem/UpdateItem, TransactGetItems as GetItem.
WRITE_ACTIONS = frozenset({"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"})
QUERY = ("dynamodb:Query",)
# What the event source mapping needs on the table's stream (it polls with the function's role).
STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)
# What DynamoDB needs from the caller when the table is encrypted with a customer managed key (prod)...
TABLE_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
# ... and from a caller that only reads.
TABLE_KEY_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")

# Extra grants: the actions, for the tests; how each is granted is infra/concerns/roles.py.
USER_POOL_ACTIONS = ("cognito-idp:CreateGroup",)
SCHEDULE_ACTIONS = ("scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule")
PUBLISH_ACTIONS = ("events:PutEvents",)
SES_ACTIONS = ("ses:SendEmail", "ses:SendRawEmail")
# The reports' analyses (Grant.ANALYTICS_QUERIES): the code calls Athena, in the stage's workgroup...
ATHENA_QUERY_ACTIONS = (
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
)
# ... and Athena, with the caller's permissions, reads the Glue table, the export's objects, writes the results
# to the workgroup's bucket and reads them back, all under the stage's key (through S3)
ANALYTICS_CATALOG_ACTIONS = ("glue:GetDatabase", "glue:GetPartitions", "glue:GetTable")
EXPORT_BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket")  # the export bucket
EXPORT_OBJECT_ACTIONS = ("s3:GetObject",)  # its objects under export/events/ (the Glue table's location)
RESULTS_BUCKET_ACTIONS = ("s3:GetBucketLocation", "s3:ListBucket")  # the workgroup's results bucket
RESULTS_OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject")  # its objects
ANALYTICS_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")  # the stage's key, through S3, for those buckets
ANALYTICS_ACTIONS = tuple(
    sorted(
        {
            *ATHENA_QUERY_ACTIONS,
            *ANALYTICS_CATALOG_ACTIONS,
            *EXPORT_BUCKET_ACTIONS,
            *EXPORT_OBJECT_ACTIONS,
            *RESULTS_BUCKET_ACTIONS,
            *RESULTS_OBJECT_ACTIONS,
            *ANALYTICS_KEY_ACTIONS,
        }
    )
)

# The table's indexes the jobs query for their work lists (chalicelib.store.models).
HOLDS_INDEX = "open-holds"
BONUS_INDEX = "bonus-due"
REMIND_INDEX = "reminders"
SEGMENTS_INDEX = "segment-members"


class Grant(Enum):
    """What a role may do beyond the ledger table (infra/concerns/roles.py grants each)."""

    WEBHOOK_SECRET = "read the payment provider's webhook secret"  # nosec B105 - a description, not a secret
    UNSUBSCRIBE_SECRET = "read the key of marketing e-mail's unsubscribe links"  # nosec B105 - a description
    MERCHANT_GROUPS = "create merchant staff groups in the user pool (PUT /v1/admin/merchants/{id})"
    PROMOTION_SCHEDULES = "create, get and delete schedules of the stage's group; pass the scheduler role"
    DOMAIN_EVENTS = "put events on the stage's bus"
    EMAIL = "send e-mail from the stage's SES identity, only when the stage has one (sesSender)"
    ANALYTICS_QUERIES = "run the reports' Athena queries in the stage's workgroup over the export"


class Alarm(Enum):
    """Alarms on a function (infra/concerns/alarms.py: metric, threshold, description)."""

    ERRORS = "Errors"
    THROTTLES = "Throttles"
    ITERATOR_AGE = "IteratorAge"  # a stream consumer falling behind


FUNCTION_ALARMS = (Alarm.ERRORS, Alarm.THROTTLES)


@dataclass(frozen=True)
class DeadLetterQueue:
    """An SQS dead-letter queue ``<prefix>-<name>`` (construct ``construct_id``) for what was not delivered."""

    construct_id: str
    name: str
    what: str


# ---- what starts a function
@dataclass(frozen=True)
class Http:
    """The REST API (chalice's RestAPI), behind CloudFront."""

    dlq = None
    asynchronous = False


@dataclass(frozen=True)
class Schedule:
    """An EventBridge schedule chalice packages from the handler's ``@schedule``."""

    expression: str
    dlq = None
    asynchronous = False


@dataclass(frozen=True)
class TableStream:
    """The ledger's stream, through an event source mapping (chalice's ``@on_dynamodb_record``) that
    polls with the function's role; a batch it failed on after its retries is recorded in ``dlq``."""

    dlq: DeadLetterQueue
    asynchronous = False


@dataclass(frozen=True)
class BusRule:
    """A rule on the stage's bus with the pattern of ``CONSUMERS[consumer]`` (chalicelib.events.catalogue);
    EventBridge invokes asynchronously: undelivered events and the function's own failures go to its queue."""

    consumer: str
    asynchronous = True

    @property
    def dlq(self) -> DeadLetterQueue:
        return DeadLetterQueue(
            f"{to_cfn_resource_name(self.consumer)}Dlq",
            f"{self.consumer.replace('_', '-')}-dlq",
            f"domain events the bus rule {self.consumer} could not deliver, or its function failed on",
        )


@dataclass(frozen=True)
class OneTimeSchedules:
    """One-time EventBridge Scheduler schedules the API creates in the stage's group, with the scheduler's
    role (which may invoke only this function); undelivered schedules and the function's failures go to ``dlq``."""

    dlq: DeadLetterQueue
    asynchronous = True


Trigger = Union[Http, Schedule, TableStream, BusRule, OneTimeSchedules]


@dataclass(frozen=True)
class IndexQuery:
    """Actions on some of the table's indexes (their ARNs), in one statement ``sid``."""

    sid: str
    indexes: tuple[str, ...]
    actions: tuple[str, ...] = QUERY


@dataclass(frozen=True)
class Layer:
    """A Lambda layer of packages the API's bundle must not carry, built at synthesis from a requirements file
    of its own (dev/package.py ``layer``: wheels for the functions' architecture and CPython, cached by hash)."""

    name: str  # deployed as <prefix>-<name>; the construct is <Name>Layer
    requirements: str  # the requirements file, at the repository's root
    what: str


LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "segmentation",
            "requirements-segmentation.txt",
            "numpy and scipy for the segmentation job's BG/NBD fit (chalicelib/insight/bgnbd.py)",
        ),
    )
}


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function of the Chalice app, as the infrastructure deploys it."""

    chalice_name: str  # chalice's name for it: the decorator's name=, its key in .chalice/config.json
    what: str  # its role's description
    handler: str  # what chalice packages as its Handler
    trigger: Trigger
    table_actions: tuple[str, ...] = ()  # on the ledger table's ARN (statement Ledger)
    index_actions: tuple[IndexQuery, ...] = ()
    grants: tuple[Grant, ...] = ()
    alarms: tuple[Alarm, ...] = FUNCTION_ALARMS
    concurrency_context: str | None = None  # CDK context whose whole number, when given, is reserved for it
    layers: tuple[str, ...] = ()  # names in LAYERS, attached in this order
    logical_id: str = ""  # chalice package's logical id; default to_cfn_resource_name(chalice_name)
    name: str = ""  # deployed as <prefix>-<name>; default chalice_name with dashes
    alarm_prefix: str = ""  # alarms are <alarm_prefix>Function<Metric>...; default logical_id

    def __post_init__(self) -> None:
        defaults = {"logical_id": to_cfn_resource_name(self.chalice_name), "name": self.chalice_name.replace("_", "-")}
        for field, value in defaults.items():
            if not getattr(self, field):
                object.__setattr__(self, field, value)
        if not self.alarm_prefix:
            object.__setattr__(self, "alarm_prefix", self.logical_id)

    @property
    def resource_name(self) -> str:
        """Chalice's resource name: its log group is <resource_name>LogGroup, the role <resource_name>Role."""
        return to_cfn_resource_name(self.chalice_name)

    @property
    def code_actions(self) -> frozenset[str]:
        """The DynamoDB actions its code may perform on the table and its indexes (tests/integration)."""
        return frozenset(self.table_actions).union(*(q.actions for q in self.index_actions))

    @property
    def stream_actions(self) -> tuple[str, ...]:
        """What its event source mapping needs on the table's stream (nothing on the table's items)."""
        return STREAM_READ_ACTIONS if isinstance(self.trigger, TableStream) else ()

    @property
    def table_key_actions(self) -> tuple[str, ...]:
        """What it needs of the table's key when the table is encrypted with it (prod), via DynamoDB."""
        if not self.code_actions:
            return ()
        return TABLE_KEY_ACTIONS if self.code_actions & WRITE_ACTIONS else TABLE_KEY_READ_ACTIONS

    def sizing(self, stage: Stage) -> tuple[int, int]:
        """(memory MB, timeout s) from the stage's .chalice/config.json, which chalice packages."""
        config = stage.chalice
        own = config.get("lambda_functions", {}).get(self.chalice_name, {})
        return (
            own.get("lambda_memory_size", config.get("lambda_memory_size", 128)),
            own.get("lambda_timeout", config.get("lambda_timeout", 60)),
        )


READ_THEN_WRITE = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")  # items read, then written
# the segmentation job: the wallets by a Scan, every profile by BatchWriteItem, its run put; a queued run (the bus
# consumer's) is claimed first by a conditional UpdateItem; who an earlier run profiled is read from the members
# index (SEGMENTATION_INDEXES)
SEGMENTATION_ACTIONS = ("dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:Scan")
QUEUED_SEGMENTATION_ACTIONS = (*SEGMENTATION_ACTIONS, "dynamodb:UpdateItem")
SEGMENTATION_INDEXES = (IndexQuery("SegmentMembers", (SEGMENTS_INDEX,)),)  # services/segmentation.py profiled()

FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        chalice_name="api_handler",
        logical_id="APIHandler",
        name="api",
        alarm_prefix="Api",
        what="HTTP API handler",
        handler="app.app",
        trigger=Http(),
        table_actions=(
            "dynamodb:DescribeTable",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:UpdateItem",
        ),
        index_actions=(IndexQuery("SegmentMembers", (SEGMENTS_INDEX,)),),  # GET /v1/admin/segments/{name}/members
        grants=(
            Grant.WEBHOOK_SECRET,
            Grant.UNSUBSCRIBE_SECRET,  # GET and POST /v1/unsubscribe verify the link's token
            Grant.MERCHANT_GROUPS,
            Grant.PROMOTION_SCHEDULES,
            Grant.DOMAIN_EVENTS,
            Grant.ANALYTICS_QUERIES,  # GET /v1/admin/reports/obstacles (chalicelib/api/reports.py)
        ),
        concurrency_context="apiConcurrency",
    ),
    FunctionSpec(
        chalice_name="reconcile",
        what="daily reconciliation job",
        handler="chalicelib.handlers.reconciliation.reconcile_daily",
        trigger=Schedule("rate(1 day)"),
        table_actions=("dynamodb:Scan",),
    ),
    # the hold sweeper: its work list from the open-holds index, then one conditional release per hold
    FunctionSpec(
        chalice_name="sweep_holds",
        what="hold sweeper (releases ended authorizations)",
        handler="chalicelib.handlers.holds.sweep_holds",
        trigger=Schedule("rate(5 minutes)"),
        table_actions=READ_THEN_WRITE,
        index_actions=(IndexQuery("OpenHolds", (HOLDS_INDEX,)),),
    ),
    # the stream publisher: one PutEvents per slice of the batch on the stage's bus
    FunctionSpec(
        chalice_name="publish_events",
        what="stream publisher (table stream to bus)",
        handler="chalicelib.handlers.publisher.publish_events",
        trigger=TableStream(
            DeadLetterQueue(
                "PublishEventsDlq",
                "publish-events-dlq",
                "where stream batches the publisher failed on after its retries are recorded by shard and sequence "
                "numbers; the records stay readable on the stream for 24 hours",
            )
        ),
        grants=(Grant.DOMAIN_EVENTS,),
        alarms=(*FUNCTION_ALARMS, Alarm.ITERATOR_AGE),
    ),
    # the bus's consumer: the wallet's reminder settings read, a notification and its dedupe guard put (one
    # transaction; a redelivery reads them back), the e-mail's claim and sent mark updated on the notification
    FunctionSpec(
        chalice_name="lifecycle",
        what="bus consumer (reminders after events)",
        handler="chalicelib.handlers.lifecycle.lifecycle",
        trigger=BusRule("lifecycle"),
        table_actions=READ_THEN_WRITE,
        grants=(Grant.EMAIL,),
    ),
    # promotions: the promotion and its grants read and written, the audience found by a Scan; and campaigns'
    # runs (the same schedules' function): the campaign, each member's membership, coupon, bonus (the ledger's
    # transaction) and notification written, the memberships counted by a Query
    FunctionSpec(
        chalice_name="promotions",
        what="promotions (scheduled start and end)",
        handler="chalicelib.handlers.promotions.promotions",
        trigger=OneTimeSchedules(
            DeadLetterQueue(
                "SchedulesDlq",
                "schedules-dlq",
                "promotion schedules EventBridge Scheduler could not deliver to the promotions function",
            )
        ),
        table_actions=(
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:Query",
            "dynamodb:Scan",
            "dynamodb:UpdateItem",
        ),
        index_actions=(IndexQuery("SegmentMembers", (SEGMENTS_INDEX,)),),  # a {segment: name} audience's members
        grants=(Grant.EMAIL, Grant.UNSUBSCRIBE_SECRET),  # a campaign's message, e-mailed with its unsubscribe link
    ),
    # bonus expiry, like the sweeper: its work list from the bonus-due index, then one transaction per wallet
    FunctionSpec(
        chalice_name="expire_bonus",
        what="daily bonus expiry",
        handler="chalicelib.handlers.bonus.expire_bonus",
        trigger=Schedule("cron(5 16 * * ? *)"),
        table_actions=READ_THEN_WRITE,
        index_actions=(IndexQuery("BonusDue", (BONUS_INDEX,)),),
    ),
    # reminders: the wallets from the reminders and bonus-due indexes, each wallet read, a notification and its
    # guard put, the e-mail's claim and sent mark updated
    FunctionSpec(
        chalice_name="remind",
        what="daily reminders",
        handler="chalicelib.handlers.reminders.remind",
        trigger=Schedule("cron(0 1 * * ? *)"),
        table_actions=READ_THEN_WRITE,
        index_actions=(IndexQuery("RemindLists", (REMIND_INDEX, BONUS_INDEX)),),
        grants=(Grant.EMAIL,),
    ),
    # the segmentation job (chalicelib/handlers/segmentation.py): the wallets by a Scan, the export through
    # Athena, who an earlier run profiled from the members index, every profile by BatchWriteItem, its run put (the
    # daily one) or claimed and updated (a queued one)
    FunctionSpec(
        chalice_name="segment_daily",
        what="daily segmentation (profiles and segments from the export)",
        handler="chalicelib.handlers.segmentation.segment_daily",
        trigger=Schedule("cron(30 2 * * ? *)"),
        table_actions=SEGMENTATION_ACTIONS,
        index_actions=SEGMENTATION_INDEXES,
        grants=(Grant.ANALYTICS_QUERIES,),
        layers=("segmentation",),
    ),
    FunctionSpec(
        chalice_name="segmentation",
        what="segmentation runs an operator asked for (segmentation.requested from the bus)",
        handler="chalicelib.handlers.segmentation.segmentation_requested",
        trigger=BusRule("segmentation"),
        table_actions=QUEUED_SEGMENTATION_ACTIONS,
        index_actions=SEGMENTATION_INDEXES,
        grants=(Grant.ANALYTICS_QUERIES,),
        layers=("segmentation",),
    ),
    # a campaign's measurement (chalicelib/handlers/campaigns.py): the campaign read and its measurement claimed
    # and recorded (conditional updates), its memberships by a Query, the export through Athena, scipy's Welch
    # interval from the layer
    FunctionSpec(
        chalice_name="campaign_measurement",
        what="campaign measurements (campaign.measurement_requested from the bus)",
        handler="chalicelib.handlers.campaigns.campaign_measurement",
        trigger=BusRule("campaign_measurement"),
        table_actions=("dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"),
        grants=(Grant.ANALYTICS_QUERIES,),
        layers=("segmentation",),
    ),
    # a backtest (chalicelib/handlers/backtests.py): the backtest read, claimed and finished (conditional updates),
    # the merchant's configuration read (TransactGetItems), the promotions by a Query, the customers' coupons its
    # quotes named by BatchGetItem, the export through Athena; the replay is pure Python (no layer)
    FunctionSpec(
        chalice_name="backtest",
        what="backtests of a merchant's proposed configuration (backtest.requested from the bus)",
        handler="chalicelib.handlers.backtests.backtest_requested",
        trigger=BusRule("backtest"),
        table_actions=("dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"),
        grants=(Grant.ANALYTICS_QUERIES,),
    ),
)

BY_ID: dict[str, FunctionSpec] = {spec.logical_id: spec for spec in FUNCTIONS}


def scheduled_function(functions: tuple[FunctionSpec, ...] = FUNCTIONS) -> FunctionSpec:
    """The one function EventBridge Scheduler invokes (the scheduler role may invoke it alone)."""
    found = [s for s in functions if isinstance(s.trigger, OneTimeSchedules)]
    if len(found) != 1:
        raise ValueError(f"exactly one function is started by Scheduler, not {[s.logical_id for s in found]}")
    return found[0]


def check(functions: tuple[FunctionSpec, ...], consumers: Iterable[str]) -> None:
    """Refuse a table the stack cannot be built from: names used twice, a bus consumer of the catalogue
    without its function (or a function for a consumer the catalogue does not have), a layer that is not in
    LAYERS or named twice by one function."""
    for spec in functions:
        unknown_layers = [name for name in spec.layers if name not in LAYERS]
        if unknown_layers or len(set(spec.layers)) != len(spec.layers):
            raise ValueError(f"{spec.logical_id}: layers {list(spec.layers)} are not distinct names of LAYERS")
    for attribute in ("logical_id", "name", "resource_name", "alarm_prefix", "concurrency_context"):
        values = [getattr(s, attribute) for s in functions if getattr(s, attribute)]
        if len(values) != len(set(values)):
            raise ValueError(f"two functions share a {attribute}: {sorted(values)}")
    consumed = [s.trigger.consumer for s in functions if isinstance(s.trigger, BusRule)]
    if len(consumed) != len(set(consumed)):
        raise ValueError(f"two functions share a bus consumer: {sorted(consumed)}")
    ruled = set(consumed)
    for consumer in consumers:
        if consumer not in ruled:
            raise ValueError(f"bus consumer {consumer!r} has no function (a row with BusRule({consumer!r}))")
    unknown = set(ruled) - set(consumers)
    if unknown:
        raise ValueError(f"functions for bus consumers the catalogue does not have: {sorted(unknown)}")
    scheduled_function(functions)


def dead_letter_queues(functions: tuple[FunctionSpec, ...] = FUNCTIONS) -> dict[str, DeadLetterQueue]:
    """Construct id -> queue, for every function whose trigger has one."""
    return {s.trigger.dlq.construct_id: s.trigger.dlq for s in functions if s.trigger.dlq is not None}
