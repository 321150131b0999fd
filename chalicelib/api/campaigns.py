"""Campaign routes (admins): create, list, read, cancel, measure now."""

from __future__ import annotations

from chalice import Blueprint

from ..services import campaigns
from ..services.common import Outcome
from .. import bootstrap
from .routing import Call, route

bp = Blueprint(__name__)


@route(
    bp,
    "/v1/admin/campaigns",
    "POST",
    name="createCampaign",
    summary="Create a campaign: an action for a segment's members, a random holdout, run at run_at or now (admin)",
    access="admin",
    body="campaigns.CampaignRequest",
    response="campaigns.CampaignOut",
    status=201,
    idempotent=True,
    tag="campaigns",
)
def create(call: Call) -> Outcome:
    return campaigns.create(
        bootstrap.store(),
        bootstrap.campaign_store(),
        bootstrap.campaign_schedules(),
        bootstrap.policy(),
        call.caller,
        call.key,
        call.body.model_dump(),
    )


@route(
    bp,
    "/v1/admin/campaigns",
    "GET",
    name="listCampaigns",
    summary="Campaigns, newest first (admin)",
    access="admin",
    response="campaigns.CampaignsPage",
    tag="campaigns",
)
def list_campaigns(call: Call) -> dict:
    return campaigns.list_campaigns(bootstrap.campaign_store(), call.caller)


@route(
    bp,
    "/v1/admin/campaigns/{campaign_id}",
    "GET",
    name="getCampaign",
    summary="A campaign: its counts and, once measured, each group's figures and the uplift (admin)",
    access="admin",
    response="campaigns.CampaignOut",
    tag="campaigns",
)
def get_campaign(call: Call, campaign_id: str) -> dict:
    return campaigns.get_campaign(bootstrap.campaign_store(), call.caller, campaign_id)


@route(
    bp,
    "/v1/admin/campaigns/{campaign_id}",
    "DELETE",
    name="cancelCampaign",
    summary="Cancel a campaign that has not run, and its schedules (one that has run: 409 campaign_started)",
    access="admin",
    response="campaigns.CampaignOut",
    tag="campaigns",
)
def cancel(call: Call, campaign_id: str) -> dict:
    return campaigns.cancel(bootstrap.campaign_store(), bootstrap.campaign_schedules(), call.caller, campaign_id)


@route(
    bp,
    "/v1/admin/campaigns/{campaign_id}/measurements",
    "POST",
    name="measureCampaign",
    summary="Measure a campaign now (it runs again at the end of its window): queued, the job computes it (admin)",
    access="admin",
    response="campaigns.CampaignOut",
    status=202,
    tag="campaigns",
)
def measure(call: Call, campaign_id: str) -> Outcome:
    return campaigns.measure_now(bootstrap.campaign_store(), call.caller, campaign_id)
