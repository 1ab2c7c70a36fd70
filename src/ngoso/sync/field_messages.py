"""The field app's words: a small catalogue handed to ``static/ngoso/field.js`` with the page (issue 18).

The page embeds ``catalogue()`` as JSON (``json_script``: data, not code, so the CSP is untouched), in the
language of the page; the service worker keeps the page, so the words travel offline with it. Placeholders
are ``{name}``, filled by the app's ``t(key, values)``. msgids are English, Vietnamese in ``core/locale``
(the registration forms' words under the context "field app").
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MESSAGES = {
    "level_0": pgettext_lazy("skill level", "Not yet"),
    "level_1": pgettext_lazy("skill level", "Can do with help"),
    "level_2": pgettext_lazy("skill level", "Can do alone"),
    "queue": _("{n} visits not sent"),
    "rejected_n": _("{n} refused"),
    "synced_at": _("synced at {when}"),
    "never_synced": _("not synced yet"),
    "online": _("● online"),
    "offline": _("○ no signal"),
    "today": _("Today's work"),
    "library_button": _("Lesson library ({n} lessons, readable without signal)"),
    "house_no": _("no. {n}"),
    "alley": _("alley {a}"),
    "none_assigned": _("No household assigned yet."),
    "stale_order": _("Not synced today: the order is worked out on the phone. With signal, press sync to get the day's list."),
    "other_mine": _("Other households in your care ({n})"),
    "team_households": _("Households of the other team members ({n})"),
    "visit_refused": _("Visit to household {code} refused: {error}"),
    "household": _("Household {code}"),
    "lesson": _("lesson"),
    "saved": _("Visit saved"),
    "saved_offline": _("Visit saved — it will be sent when there is signal"),
    "back": _("‹ Back"),
    "library": _("Lesson library"),
    "purpose": _("What it is for"),
    "you_need": _("You need"),
    "steps": _("Steps"),
    "mistakes": _("Common mistakes"),
    "safety": _("Stay safe"),
    "start": _("Start: step 1 →"),
    "step_of": _("Step {k} / {n}"),
    "step_back": _("← Back"),
    "done": _("Done →"),
    "next_step": _("Next step →"),
    "error": _("Error: {message}"),
    "other_pending": _("{n} registrations not sent"),
    "add_household": _("+ New household"),
    "new_household_refused": _("New household {code} refused: {error}"),
    "new_resident_refused": _("New person {name} refused: {error}"),
    "record_refused": _("Record refused: {error}"),
    "add_resident": _("+ Add a person to the household"),
    "change_of": _("Change for {name}"),
    "no_change": _("{name}: no change"),
    "moved_away": _("moved away"),
    "died": _("died"),
    "move_household": _("moves to another household (split/join)"),
    "moved_where": _("Moved to where (if known)?"),
    "recorded": _("Recorded: {name} {event}"),
    "edit_person": _("correct their details"),
    "edit_person_title": _("Correct: {name}"),
    "edit_household": _("Correct the household's address or means"),
    "full_name": _("Full name"),
    "birth_year": _("Birth year"),
    "sex": _("Sex"),
    "female": _("Female"),
    "male": _("Male"),
    "relation": _("Relation to head"),
    "ethnicity": _("Ethnic group"),
    "new_phone": _("New phone number (empty: no change)"),
    "no_change_short": _("— no change"),
    "consent_for_personal": _("The person agrees to their phone number and ethnic group being recorded"),
    "consent_needed": _("The person's consent is needed before their phone number or ethnic group is recorded"),
    "save_changes": _("Save the changes"),
    "edit_saved": _("Saved: {name}. If someone changed the same on the server meanwhile, your leader decides."),
    "access": _("Means of access to information"),
    "alley_label": _("Alley"),
    "house_number": _("House number"),
    "yes": _("yes"),
    "no": _("no"),
    "move_in": _("+ Someone moved in from another village"),
    "move_in_title": _("Moved in to household {code}"),
    "move_in_help": _("Registered in another village? Give their name, birth year and old village: commune staff find them and move their record here, with their skills."),
    "from_village": _("From village"),
    "other_place": _("Another place (write below)"),
    "from_where": _("or where (if not in the list)"),
    "from_needed": _("Say which village the person comes from"),
    "send_request": _("Send the request"),
    "move_in_sent": _("Request saved: commune staff will find {name} and move them here."),
    # registering at the door: the new household, the new person and the move forms
    "acc_has_smartphone": pgettext_lazy("field app", "Smartphone"),
    "acc_has_feature_phone": pgettext_lazy("field app", "Feature phone"),
    "acc_has_tv": pgettext_lazy("field app", "TV"),
    "acc_has_radio": pgettext_lazy("field app", "Radio set"),
    "acc_has_computer": pgettext_lazy("field app", "Computer"),
    "acc_has_home_internet": pgettext_lazy("field app", "Internet/wifi at home"),
    "acc_has_mobile_data": pgettext_lazy("field app", "Mobile data"),
    "acc_hears_loudspeaker": pgettext_lazy("field app", "Hears the village loudspeaker"),
    "back_to_list": pgettext_lazy("field app", "‹ Back to the list"),
    "access_legend": pgettext_lazy("field app", "Means of access to information"),
    "new_household": pgettext_lazy("field app", "New household"),
    "village_field": pgettext_lazy("field app", "Village / residential group"),
    "alley_field": pgettext_lazy("field app", "Alley"),
    "house_number_field": pgettext_lazy("field app", "House number"),
    "address_field": pgettext_lazy("field app", "Other address"),
    "gps": pgettext_lazy("field app", "Take the position from the phone"),
    "save_household": pgettext_lazy("field app", "Save the new household"),
    "no_position": pgettext_lazy("field app", "Could not get the position"),
    "household_saved": pgettext_lazy("field app", "New household {code} saved"),
    "will_send": pgettext_lazy("field app", " — it will be sent when there is signal"),
    "add_people_next": pgettext_lazy("field app", ". Add the people of the household:"),
    "back_to_household": pgettext_lazy("field app", "‹ Back to the household"),
    "move_title": pgettext_lazy("field app", "Move {name} to another household"),
    "move_hint": pgettext_lazy(
        "field app", "Splitting a household: register the new one first (the «{button}» button), then move each person."),
    "move_to": pgettext_lazy("field app", "Household moving to"),
    "move_button": pgettext_lazy("field app", "Move"),
    "moved": pgettext_lazy("field app", "{name} moved to household {code}"),
    "new_resident": pgettext_lazy("field app", "New person · household {code}"),
    "consent": pgettext_lazy(
        "field app", "The resident agreed to have their details recorded (required, before any detail)"),
    "phone": pgettext_lazy("field app", "Phone number (if any)"),
    "save_resident": pgettext_lazy("field app", "Save this person"),
    "register_consent_needed": pgettext_lazy("field app", "The resident's consent is needed before recording"),
    "maybe_exists": pgettext_lazy(
        "field app", "Maybe already recorded: {matches}. Check, or press Save again if this is someone else."),
    "resident_saved": pgettext_lazy("field app", "{name} saved"),
}


def catalogue() -> dict[str, str]:
    """Every message in the active language, with the people app's own words for relations and sex
    (``rel_<value>``, ``sex_<value>``: the same labels as the web's forms)."""
    from ngoso.people.models import Relation, Sex

    out = {key: str(text) for key, text in MESSAGES.items()}
    out |= {f"rel_{value}": str(label) for value, label in Relation.choices}
    out |= {f"sex_{value}": str(label) for value, label in Sex.choices}
    return out
