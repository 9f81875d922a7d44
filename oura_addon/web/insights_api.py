"""The sleep insights in the panel: the entity picker, the per-account relations (JSON) and
what the ``_insights.html`` partial shows."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, request, url_for

from oura_addon.errors import AddonError, InvalidInput
from oura_addon.i18n import Translator, _l
from oura_addon.services import InsightsControl
from oura_addon.web.context import web_context
from oura_addon.web.insight_charts import render_bins_chart
from oura_addon.web.language import translator

_LOGGER = logging.getLogger(__name__)

bp = Blueprint("insights", __name__)

NOT_AVAILABLE = _l(
    "Sleep insights need Home Assistant's statistics, which this add-on cannot reach here."
)
LIST_MESSAGE = _l('Send {"entity_ids": [...]}: a list of entity ids.')


def _insights() -> InsightsControl | None:
    return web_context().services.insights


def _error(kind: str, message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": kind, "message": translator().text(message)}), status


def _translated(relation: dict[str, Any], language: Translator) -> dict[str, Any]:
    return {**relation, "sentence": language.text(relation.get("sentence"))}


@bp.get("/api/insights/entities")
def entities() -> Response | tuple[Response, int]:
    insights = _insights()
    if insights is None:
        return _error("not_available", NOT_AVAILABLE, 503)
    try:
        offered = insights.entities(fresh=True)  # a script asking wants the list of now
    except AddonError as err:
        return _error("home_assistant", err.user_message, 503)
    chosen = insights.chosen()
    return jsonify(
        {
            "entities": [{**s.to_json(), "chosen": s.statistic_id in chosen} for s in offered],
            "chosen": chosen,
        }
    )


@bp.post("/api/insights/entities")
def choose() -> Response | tuple[Response, int]:
    insights = _insights()
    if insights is None:
        return _error("not_available", NOT_AVAILABLE, 503)
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # a body nested too deeply is no list of ids either
        body = None
    ids = body.get("entity_ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        return _error("bad_request", LIST_MESSAGE, 400)
    try:
        chosen = insights.choose(ids)
    except InvalidInput as err:
        return _error("no_statistics", err.user_message, 400)
    except AddonError as err:
        return _error("home_assistant", err.user_message, 503)
    return jsonify({"chosen": chosen})


@bp.get("/api/accounts/<name>/insights")
def account_insights(name: str) -> Response | tuple[Response, int]:
    services = web_context().services
    if services.accounts.get(name) is None:
        return _error("not_found", _l("There is no account called %(name)r.", name=name), 404)
    insights = services.insights
    if insights is None:
        return _error("not_available", NOT_AVAILABLE, 503)
    language = translator()
    return jsonify([_translated(r, language) for r in insights.results(name)])


@bp.post("/insights/entities")
def choose_form() -> Any:
    """The panel's picker without script: the ticked boxes, then back to the account."""
    insights = _insights()
    back = request.form.get("account", "")
    if insights is not None:
        try:
            insights.choose(request.form.getlist("entity_id"))
        except AddonError as err:
            flash(translator().text(err.user_message), "error")
    on_account_page = request.form.get("next") == "account"
    if on_account_page and back and web_context().services.accounts.get(back) is not None:
        return redirect(url_for("panel.account", name=back))
    return redirect(url_for("panel.index"))


def panel_insights(account: str) -> dict[str, Any]:
    """What ``_insights.html`` shows for one account."""
    insights = _insights()
    if insights is None:
        return {"available": False, "message": NOT_AVAILABLE}
    language = translator()
    clear, unclear = [], []
    for relation in insights.results(account):
        shown = _translated(relation, language)
        if relation.get("clear"):
            shown["svg"] = render_bins_chart(
                relation.get("bins", []),
                label=shown["sentence"],
                unit=relation.get("unit"),
                translator=language,
            )
            clear.append(shown)
        else:
            unclear.append(shown)
    chosen = insights.chosen()
    try:
        offered = [{**s.to_json(), "chosen": s.statistic_id in chosen} for s in insights.entities()]
        problem = None
    except AddonError as err:
        offered, problem = [{"entity_id": e, "name": e, "chosen": True} for e in chosen], err
    return {
        "available": True,
        "related": clear,
        "unclear": unclear,
        "entities": offered,
        "problem": problem.user_message if problem else None,
    }


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"insights_panel": panel_insights}
