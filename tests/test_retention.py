"""Closing and reopening a family's case, the service's retention period, and `flask purge-expired`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import inspect, select, text

from pipcompanion.extensions import db
from pipcompanion.models import AuditEvent, Family, MemberKind, ServiceSettings, User, Visibility
from pipcompanion.services.retention import years_before

from .conftest import Clock, Factory
from .helpers import (
    LONDON,
    AuditEntry,
    FamilyInfo,
    Person,
    SignInAs,
    audit_trail,
    count,
    page_text,
    post,
    rows,
)

SETTINGS = {
    "service_name": "Harbour PIP",
    "crisis_contacts": "Call 999.",
    "default_locale": "en",
    "timezone": "Europe/London",
}


def family_row(app: Flask, family_id: int) -> tuple[bool, datetime | None]:
    with app.app_context():
        family = db.session.get_one(Family, family_id)
        return family.archived, family.archived_at


def close(app: Flask, family: FamilyInfo, at: datetime) -> None:
    """The family's case closed at this time (closing through the page is tested below)."""
    with app.app_context():
        row = db.session.get_one(Family, family.id)
        row.archived, row.archived_at = True, at
        db.session.commit()


def set_retention(app: Flask, years: int) -> None:
    with app.test_request_context():
        from pipcompanion.services.settings import service_settings

        service_settings().retention_years = years
        db.session.commit()


def purge(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["purge-expired", *args])
    assert result.exit_code == 0, result.output
    return str(result.output)


def family_rows(app: Flask, family_id: int) -> dict[str, int]:
    """Every row anywhere that belongs to this family: by a family_id column, or through one of its
    moments, babies or check-ins (the tables found by their foreign keys, so a new table is covered)."""
    found: dict[str, int] = {}
    with app.app_context():
        inspector = inspect(db.engine)
        with db.engine.connect() as connection:
            ids = {"families": [family_id]}
            for parent in ("moments", "babies", "check_ins"):
                ids[parent] = list(connection.execute(
                    text(f"SELECT id FROM {parent} WHERE family_id = :id"), {"id": family_id}).scalars())
            for table in inspector.get_table_names():
                if table == "audit_events":
                    continue
                for key in inspector.get_foreign_keys(table):
                    parent = key["referred_table"]
                    if parent not in ids or not ids[parent]:
                        continue
                    [column] = key["constrained_columns"]
                    placeholders = ", ".join(str(int(value)) for value in ids[parent])
                    found[f"{table}.{column}"] = found.get(f"{table}.{column}", 0) + int(connection.execute(
                        text(f"SELECT count(*) FROM {table} WHERE {column} IN ({placeholders})")).scalar_one())
            found["families.id"] = int(connection.execute(
                text("SELECT count(*) FROM families WHERE id = :id"), {"id": family_id}).scalar_one())
    return found


def a_full_family(make: Factory, family: FamilyInfo) -> None:
    """Give the family one of everything: moments with links and a reflection, a focus, a session,
    a check-in with answers, an open invitation."""
    moment = make.moment(family, family.carers[0], "She smiled at me", kinds=["playing"],
                         visibility=Visibility.FAMILY)
    make.moment(family, family.carers[0], "Bath time")
    make.reflection(moment, family.therapist, "You noticed that.")
    make.focus(family, "Noticing her smiles")
    make.session(family, datetime.now(UTC) - timedelta(days=3))
    make.check_in(family, family.carers[0], [3, 4])
    make.invitation(family, MemberKind.VIEWER, "Aunt")


# ---------------------------------------------------------------- closing and reopening a case


def test_the_admin_is_asked_before_closing_a_case(admin: Person, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    caseloads = client.get("/admin/caseloads")
    assert "Close the Rivers family's case" in page_text(caseloads)
    page = client.get(f"/admin/families/{rivers.id}/close")
    words = page_text(page)
    assert page.status_code == 200
    assert "Close the Rivers family's case?" in words
    assert "nobody can see it any more" in words
    assert "keeps it for 25 years" in words
    assert "reopen it" in words


def test_closing_a_case_hides_the_family_from_everyone_until_it_is_reopened(
        app: Flask, admin: Person, rivers: FamilyInfo, sign_in_as: SignInAs, clock: Clock) -> None:
    closed_at = clock.set(datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
    sam, mum, nan = sign_in_as(rivers.therapist), sign_in_as(rivers.carers[0]), sign_in_as(rivers.viewers[0])
    client = sign_in_as(admin)
    assert "Rivers" in page_text(sam.get("/caseload"))
    assert mum.get(f"/families/{rivers.id}/timeline").status_code == 200
    assert "Rivers" in mum.get("/api/v1/me").get_data(as_text=True)

    response = post(client, f"/admin/families/{rivers.id}/close")
    assert response.status_code == 302
    assert family_row(app, rivers.id) == (True, closed_at)
    assert "Rivers" not in page_text(sam.get("/caseload"))
    assert sam.get(f"/families/{rivers.id}/timeline").status_code in (403, 404)
    assert mum.get(f"/families/{rivers.id}/timeline").status_code in (403, 404)
    assert nan.get(f"/families/{rivers.id}/timeline").status_code in (403, 404)
    for person in (sam, mum, nan):
        home = person.get("/", follow_redirects=True)
        assert home.status_code == 200 and "Ava" not in page_text(home)
    assert "Rivers" not in mum.get("/api/v1/me").get_data(as_text=True)
    # The admin still lists it, closed, to reopen.
    listed = page_text(client.get("/admin/caseloads"))
    assert "closed on 4 March 2026" in listed and "Reopen the Rivers family's case" in listed

    assert post(client, f"/admin/families/{rivers.id}/reopen").status_code == 302
    assert family_row(app, rivers.id) == (False, None)
    assert "Rivers" in page_text(sam.get("/caseload"))
    assert mum.get(f"/families/{rivers.id}/timeline").status_code == 200
    assert [entry for entry in audit_trail(app) if entry.action.startswith("family.")] == [
        AuditEntry("family.archive", admin.id, rivers.id, None),
        AuditEntry("family.reopen", admin.id, rivers.id, None),
    ]


def test_a_closed_case_is_not_offered_for_a_caseload(app: Flask, admin: Person, rivers: FamilyInfo,
                                                     brooks: FamilyInfo, sign_in_as: SignInAs) -> None:
    close(app, rivers, datetime.now(UTC))
    client = sign_in_as(admin)
    page = client.get("/admin/caseloads").get_data(as_text=True)
    assert f'<option value="{rivers.id}"' not in page and f'<option value="{brooks.id}"' in page
    refused = post(client, "/admin/caseloads", {"family_id": rivers.id, "therapist_id": brooks.therapist.id})
    assert refused.status_code == 400 and "Please choose from the list." in page_text(refused)


def test_closing_a_closed_case_or_reopening_an_open_one_changes_nothing(
        app: Flask, admin: Person, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    reopened = post(client, f"/admin/families/{rivers.id}/reopen", follow_redirects=True)
    assert "The Rivers family's case is open." in page_text(reopened)
    close(app, rivers, datetime(2026, 1, 1, tzinfo=UTC))
    again = client.get(f"/admin/families/{rivers.id}/close", follow_redirects=True)
    assert "already closed" in page_text(again)
    assert post(client, f"/admin/families/{rivers.id}/close").status_code == 302
    assert family_row(app, rivers.id) == (True, datetime(2026, 1, 1, tzinfo=UTC))
    assert [entry for entry in audit_trail(app) if entry.action.startswith("family.")] == []


def test_only_the_admin_closes_or_reopens_a_case(app: Flask, rivers: FamilyInfo, sign_in_as: SignInAs) -> None:
    for person in (rivers.therapist, rivers.carers[0], rivers.viewers[0]):
        client = sign_in_as(person)
        assert client.get(f"/admin/families/{rivers.id}/close").status_code in (403, 404)
        assert post(client, f"/admin/families/{rivers.id}/close").status_code in (403, 404)
        assert post(client, f"/admin/families/{rivers.id}/reopen").status_code in (403, 404)
    assert family_row(app, rivers.id) == (False, None)


def test_a_family_that_is_not_there_is_404_and_a_missing_token_400(admin: Person, rivers: FamilyInfo,
                                                                  sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    assert client.get(f"/admin/families/{rivers.id + 999}/close").status_code == 404
    assert post(client, f"/admin/families/{rivers.id + 999}/reopen").status_code == 404
    assert client.post(f"/admin/families/{rivers.id}/close").status_code == 400


# ---------------------------------------------------------------- the retention setting


def retention(app: Flask) -> int:
    [years] = rows(app, select(ServiceSettings.retention_years))
    return years


def test_the_service_keeps_closed_cases_25_years_unless_the_admin_chooses(app: Flask, admin: Person,
                                                                          sign_in_as: SignInAs) -> None:
    client = sign_in_as(admin)
    page = client.get("/admin/settings")
    words = page_text(page)
    assert "Keep closed cases for" in words and "25th birthday" in words
    assert post(client, "/admin/settings", SETTINGS).status_code == 302
    assert retention(app) == 25
    assert post(client, "/admin/settings", {**SETTINGS, "retention_years": "8"}).status_code == 302
    assert retention(app) == 8
    assert [entry.action for entry in audit_trail(app)].count("retention.change") == 1


@pytest.mark.parametrize("value", ["7", "0", "-8", "25.0", "lots", "", "9" * 30])
def test_a_retention_not_on_the_list_is_refused(app: Flask, admin: Person, sign_in_as: SignInAs, value: str) -> None:
    response = post(sign_in_as(admin), "/admin/settings", {**SETTINGS, "retention_years": value})
    assert response.status_code == 400
    assert "Please choose from the list." in page_text(response)
    assert retention(app) == 25


# ---------------------------------------------------------------- purge-expired


def test_years_before_keeps_29_february_a_full_year() -> None:
    assert years_before(date(2034, 3, 4), 8) == date(2026, 3, 4)
    assert years_before(date(2029, 2, 28), 1) == date(2028, 2, 28)
    # Closed on 29 February 2028: on 28 February 2029 it is a day short, on 1 March due.
    assert years_before(date(2029, 2, 28), 1) < date(2028, 2, 29) <= years_before(date(2029, 3, 1), 1)
    assert years_before(date(2032, 2, 29), 1) == date(2031, 2, 28)


def test_a_case_is_purged_exactly_on_the_day_its_retention_ends(app: Flask, make: Factory, rivers: FamilyInfo,
                                                                 clock: Clock) -> None:
    set_retention(app, 8)
    # Closed late in the evening of 4 March 2026, London time (already 5 March in UTC? no: GMT).
    close(app, rivers, datetime(2026, 3, 4, 23, 30, tzinfo=LONDON))
    clock.set(datetime(2034, 3, 3, 23, 59, tzinfo=LONDON))
    assert "nothing to purge" in purge(app)
    assert family_row(app, rivers.id)[0] is True
    clock.set(datetime(2034, 3, 4, 0, 1, tzinfo=LONDON))
    output = purge(app)
    assert f"Purged family {rivers.id} (Rivers), closed on 2026-03-04" in output
    assert count(app, Family, Family.id == rivers.id) == 0


def test_the_service_time_zone_decides_the_day_a_case_was_closed(app: Flask, rivers: FamilyInfo, clock: Clock) -> None:
    set_retention(app, 10)
    # 00:30 on 1 July 2026 in London (summer time) is still 30 June in UTC.
    close(app, rivers, datetime(2026, 7, 1, 0, 30, tzinfo=LONDON))
    clock.set(datetime(2036, 6, 30, 23, 0, tzinfo=LONDON))
    assert "nothing to purge" in purge(app, "--dry-run")
    clock.set(datetime(2036, 7, 1, 0, 10, tzinfo=LONDON))
    assert "closed on 2026-07-01" in purge(app, "--dry-run")


def test_a_dry_run_lists_what_is_due_and_deletes_nothing(app: Flask, make: Factory, rivers: FamilyInfo,
                                                        brooks: FamilyInfo, clock: Clock) -> None:
    a_full_family(make, rivers)
    close(app, rivers, datetime(2000, 5, 6, 12, 0, tzinfo=UTC))
    before = family_rows(app, rivers.id)
    output = purge(app, "--dry-run")
    assert f"Would purge family {rivers.id} (Rivers), closed on 2000-05-06: 2 moments" in output
    assert "nothing was deleted" in output and "Brooks" not in output
    assert family_rows(app, rivers.id) == before
    assert [entry for entry in audit_trail(app) if entry.action == "family.purge"] == []


def test_a_purge_deletes_every_row_of_the_family_and_nothing_else(app: Flask, make: Factory, rivers: FamilyInfo,
                                                                  brooks: FamilyInfo) -> None:
    a_full_family(make, rivers)
    a_full_family(make, brooks)
    # A carer of both families keeps her account and her place in the other one.
    with app.app_context():
        from pipcompanion.models import Membership

        db.session.add(Membership(family_id=brooks.id, user_id=rivers.carers[0].id, kind=MemberKind.CARER,
                                  relation="Aunt"))
        db.session.commit()
    make.invitation(rivers)  # by Sam: on the audit record
    close(app, rivers, datetime(1990, 1, 1, tzinfo=UTC))
    assert sum(family_rows(app, rivers.id).values()) > 10
    brooks_before = family_rows(app, brooks.id)

    output = purge(app)

    assert f"Purged family {rivers.id} (Rivers)" in output
    left = {place: found for place, found in family_rows(app, rivers.id).items() if found}
    assert left == {}
    assert family_rows(app, brooks.id) == brooks_before
    # People's accounts stay (deleting them is another decision).
    assert count(app, User, User.id.in_([person.id for person in rivers.carers + rivers.viewers])) == 3
    purges = [entry for entry in audit_trail(app) if entry.action == "family.purge"]
    assert purges == [AuditEntry("family.purge", None, rivers.id, None)]
    # The row counts what went, never what it said.
    [detail] = rows(app, select(AuditEvent.detail).where(AuditEvent.action == "family.purge"))
    assert detail == ("moments=2 reflections=1 focuses=1 sessions=1 check_ins=1 invitations=2 memberships=3 "
                      "caseload_assignments=1 babies=1")
    # The family's earlier audit rows stay too.
    assert any(entry.family_id == rivers.id and entry.action != "family.purge" for entry in audit_trail(app))
    assert "nothing to purge" in purge(app)


def test_open_cases_and_cases_closed_inside_the_period_stay(app: Flask, rivers: FamilyInfo, brooks: FamilyInfo,
                                                            clock: Clock) -> None:
    clock.set(datetime(2040, 1, 1, 12, 0, tzinfo=UTC))
    close(app, rivers, datetime(2016, 1, 2, 12, 0, tzinfo=UTC))  # 24 years ago: inside 25
    assert "nothing to purge" in purge(app)
    assert count(app, Family) == 2
    set_retention(app, 15)
    output = purge(app)
    assert "Rivers" in output and "Brooks" not in output
    assert count(app, Family) == 1
