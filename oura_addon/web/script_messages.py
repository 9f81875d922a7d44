"""The sentences panel.js shows, by key: the page embeds them in its language.

panel.js calls ``text("key", {name: value})``; add a key here (and its translations) for
every new sentence the script shows. A test checks both sides name the same keys.
"""

from __future__ import annotations

from oura_addon.i18n import Text, Translator, _l

SCRIPT_MESSAGES: dict[str, Text] = {
    "answered": _l("The add-on answered %(status)s."),
    "copied": _l("Copied"),
    "oura_answer": _l("(Oura's answer: %(answer)s)"),
    "copy_by_hand": _l("Press Ctrl+C (or ⌘C) to copy the selected redirect URI."),
    "dismiss": _l("Dismiss"),
    "credentials_saved": _l("Client credentials saved."),
    "help_paste": _l(
        "Oura's consent page opened in a new tab. After you approve, your browser lands on a "
        "page that does not load: copy its whole address, paste it below and click "
        "“Finish connecting”."
    ),
    "help_callback": _l(
        "Oura's consent page opened in a new tab. Approve access there; this card shows the "
        "outcome."
    ),
    "unknown": _l("unknown"),
    "never": _l("never"),
    "not_scheduled": _l("not scheduled"),
    "syncing": _l("Syncing now…"),
    "connected": _l("Connected"),
    "needs_reconnect": _l("Needs reconnecting"),
    "not_connected": _l("Not connected"),
    "history_started": _l("The history import has started."),
    "history_days": _l("%(done)s / %(total)s days"),
}


def script_messages(translator: Translator) -> dict[str, str]:
    # The %(name)s placeholders stay: panel.js fills them in.
    return {
        key: translator.translations.gettext(text.msgid) for key, text in SCRIPT_MESSAGES.items()
    }
